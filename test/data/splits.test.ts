import { test } from "node:test";
import assert from "node:assert/strict";
import type { LabeledDataset } from "../../kernel-lib/data/dataset";
import { Generator } from "../../kernel-lib/data/generator";
import { equalClassShare, labeledUnlabeledSplit, randomSplit } from "../../kernel-lib/data/splits";
import { Subset } from "../../kernel-lib/data/subset";

class Numbers implements LabeledDataset<number> {
  readonly targets: Int32Array;
  constructor(readonly length: number, classes = 10) {
    // Unbalanced classes on purpose: class c has more items than class c + 1.
    this.targets = Int32Array.from({ length }, (_, i) => Math.floor(Math.sqrt(i * classes * classes / length)) % classes);
  }
  async getItem(index: number): Promise<[number, number]> {
    return [index, this.targets[index]];
  }
}

test("Subset maps indices and carries targets", async () => {
  const base = new Numbers(20);
  const subset = new Subset(base, [5, 1, 7]);
  assert.equal(subset.length, 3);
  assert.deepEqual(await subset.getItem(0), [5, base.targets[5]]);
  assert.deepEqual(Array.from(subset.targets), [base.targets[5], base.targets[1], base.targets[7]]);
  assert.throws(() => new Subset(base, [20]), /index 20 is out of range/);
  await assert.rejects(async () => subset.getItem(3), /index 3 is out of range/);
});

test("randomSplit: disjoint cover, counts or fractions (PyTorch's remainder rule), repeatable", () => {
  const base = new Numbers(103);
  const [a, b] = randomSplit(base, [100, 3], new Generator(1));
  const all = [...a.indices, ...b.indices].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 103 }, (_, i) => i));
  // floor(103 * [0.5, 0.3, 0.2]) = [51, 30, 20]; the 2 left over go to the first two subsets.
  assert.deepEqual(randomSplit(base, [0.5, 0.3, 0.2], new Generator(1)).map((s) => s.length), [52, 31, 20]);
  assert.deepEqual(Array.from(randomSplit(base, [50, 53], new Generator(4))[0].indices), Array.from(randomSplit(base, [50, 53], new Generator(4))[0].indices));
  assert.notDeepEqual(Array.from(randomSplit(base, [50, 53], new Generator(4))[0].indices), Array.from(randomSplit(base, [50, 53], new Generator(5))[0].indices));
  assert.throws(() => randomSplit(base, [50, 50]), /must sum to the dataset's length 103/);
});

test("labeledUnlabeledSplit: equal labeled counts per class, the rest unlabeled, seeded", () => {
  const base = new Numbers(5000);
  const { labeled, unlabeled } = labeledUnlabeledSplit(base, 400, 3);
  assert.equal(labeled.length, 400);
  assert.equal(unlabeled.length, 4600);
  const counts = new Array(10).fill(0);
  for (const t of labeled.targets) counts[t]++;
  assert.deepEqual(counts, new Array(10).fill(40));
  const union = new Set([...labeled.indices, ...unlabeled.indices]);
  assert.equal(union.size, 5000, "disjoint and complete");
  assert.deepEqual(Array.from(labeledUnlabeledSplit(base, 400, 3).labeled.indices), Array.from(labeled.indices));
  assert.notDeepEqual(Array.from(labeledUnlabeledSplit(base, 400, 4).labeled.indices), Array.from(labeled.indices));
  assert.equal(labeledUnlabeledSplit(base, 0.1, 0).labeled.length, 500);
  assert.throws(() => labeledUnlabeledSplit(base, 405, 0), /cannot be split equally over 10 classes; use a multiple of 10 \(e\.g\. 400\)/);
  const fewest = Math.min(...Array.from({ length: 10 }, (_, c) => base.targets.filter((t) => t === c).length));
  assert.throws(() => labeledUnlabeledSplit(base, (fewest + 1) * 10, 0), /has only \d+ items, fewer than/);
  assert.throws(() => labeledUnlabeledSplit({ length: 3, getItem: async () => [0, 0] } as unknown as LabeledDataset<number>, 1), /must expose `targets`/);
});

test("equalClassShare keeps a count that splits equally and otherwise suggests the one below (at least one per class)", () => {
  assert.equal(equalClassShare(5000, 10), 5000);
  assert.equal(equalClassShare(4999, 10), 4990);
  assert.equal(equalClassShare(7, 10), 10);
});
