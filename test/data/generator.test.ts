import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator } from "../../kernel-lib/data/generator";

test("same seed gives the same sequence, another seed a different one", () => {
  const a = new Generator(42);
  const b = new Generator(42);
  const c = new Generator(43);
  const seqA = Array.from({ length: 8 }, () => a.random());
  assert.deepEqual(seqA, Array.from({ length: 8 }, () => b.random()));
  assert.notDeepEqual(seqA, Array.from({ length: 8 }, () => c.random()));
});

test("getState/setState resumes the exact sequence", () => {
  const g = new Generator(7);
  g.random();
  const state = g.getState();
  const next = [g.random(), g.randint(0, 10), g.uniform(-1, 1)];
  g.setState(state);
  assert.deepEqual([g.random(), g.randint(0, 10), g.uniform(-1, 1)], next);
  assert.throws(() => g.setState([1, 2, 3] as unknown as [number, number, number, number]), /four unsigned/);
});

test("random is uniform in [0,1) and randperm is a permutation", () => {
  const g = new Generator(1);
  const n = 20000;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = g.random();
    assert.ok(r >= 0 && r < 1);
    sum += r;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
  const perm = Array.from(g.randperm(100)).sort((x, y) => x - y);
  assert.deepEqual(perm, Array.from({ length: 100 }, (_, i) => i));
  let normSum = 0;
  let normSq = 0;
  for (let i = 0; i < n; i++) {
    const z = g.normal();
    normSum += z;
    normSq += z * z;
  }
  assert.ok(Math.abs(normSum / n) < 0.03 && Math.abs(normSq / n - 1) < 0.05);
});
