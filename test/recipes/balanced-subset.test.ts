import { test } from "node:test";
import assert from "node:assert/strict";
import { balancedSubset } from "../../kernel-lib/recipes/balanced-subset";
import type { LabeledDataset } from "../../kernel-lib/data/dataset";

/** 3 classes in blocks, like an image-folder export: 10 of class 0, then 10 of class 1, then 10 of class 2. */
function blockDataset(): LabeledDataset<number> {
  const targets = Array.from({ length: 30 }, (_, i) => Math.floor(i / 10));
  return { length: 30, targets, getItem: async (index: number) => [index, targets[index]] };
}

test("balancedSubset takes the same number of items from every class, not the first N", async () => {
  const dataset = blockDataset();
  const subset = balancedSubset(dataset, 6, "LAB_TRAIN_LIMIT");
  assert.equal(subset.length, 6);
  const labels = await Promise.all(Array.from({ length: subset.length }, async (_, i) => (await subset.getItem(i))[1]));
  assert.deepEqual([...labels].sort(), [0, 0, 1, 1, 2, 2]);
  // Seeded: the same draw every time.
  const again = balancedSubset(dataset, 6, "LAB_TRAIN_LIMIT");
  for (let i = 0; i < 6; i++) assert.deepEqual(await again.getItem(i), await subset.getItem(i));
});

test("balancedSubset returns the dataset itself without a limit or with a limit not below its size", () => {
  const dataset = blockDataset();
  assert.equal(balancedSubset(dataset, undefined, "LAB_TRAIN_LIMIT"), dataset);
  assert.equal(balancedSubset(dataset, 30, "LAB_TRAIN_LIMIT"), dataset);
  assert.equal(balancedSubset(dataset, 1000, "LAB_TRAIN_LIMIT"), dataset);
});

test("a limit that cannot be shared equally names the setting and a value that works", () => {
  assert.throws(() => balancedSubset(blockDataset(), 7, "LAB_TEST_LIMIT"), /LAB_TEST_LIMIT=7: use a multiple of the 3 classes .* \(e\.g\. LAB_TEST_LIMIT=6\)/);
  assert.throws(() => balancedSubset(blockDataset(), 2, "LAB_TEST_LIMIT"), /e\.g\. LAB_TEST_LIMIT=3/);
  assert.throws(() => balancedSubset(blockDataset(), 6.5, "LAB_TEST_LIMIT"), /LAB_TEST_LIMIT=6\.5: .*e\.g\. LAB_TEST_LIMIT=6\)/);
});
