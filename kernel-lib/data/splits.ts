/**
 * Dataset splits: `randomSplit` (torch.utils.data.random_split) and a stratified
 * labeled/unlabeled split for semi-supervised learning (equal labeled counts per class, as the
 * Mean Teacher and FixMatch papers sample them).
 */
import type { Dataset, LabeledDataset } from "./dataset";
import { Generator } from "./generator";
import { Subset } from "./subset";

/**
 * Splits into non-overlapping random subsets. `lengths` are item counts summing to the dataset's
 * length, or fractions summing to 1 (floors, with the remainder handed out one by one from the first
 * subset, as PyTorch does).
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], generator: Generator = new Generator(0)): Subset<T>[] {
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((v) => !(v >= 0))) {
    throw new Error(`randomSplit: lengths must be non-negative counts or fractions, got ${JSON.stringify(lengths)}`);
  }
  let counts = [...lengths];
  const total = counts.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) < 1e-9 && counts.every((v) => v <= 1)) {
    counts = counts.map((fraction) => Math.floor(n * fraction));
    const remainder = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) counts[i % counts.length] += 1;
  } else if (counts.some((v) => !Number.isInteger(v)) || total !== n) {
    throw new Error(`randomSplit: lengths ${JSON.stringify(lengths)} must sum to the dataset's length ${n} (or be fractions summing to 1)`);
  }
  const permutation = generator.randperm(n);
  const subsets: Subset<T>[] = [];
  let offset = 0;
  for (const count of counts) {
    subsets.push(new Subset(dataset, permutation.subarray(offset, offset + count)));
    offset += count;
  }
  return subsets;
}

/**
 * The count nearest below `count` (and at least one per class) that splits equally over `classCount`
 * classes: `count` itself when it already does, otherwise the value an error message should suggest.
 */
export function equalClassShare(count: number, classCount: number): number {
  return Math.max(classCount, count - (count % classCount));
}

export interface LabeledUnlabeledSplit<T> {
  labeled: Subset<T>;
  unlabeled: Subset<T>;
}

/**
 * Picks `nLabeled` items (or that fraction of the dataset) with the same count in every class; the
 * rest is the unlabeled set. Indices in each subset are in dataset order.
 */
export function labeledUnlabeledSplit<T>(
  dataset: LabeledDataset<T>,
  nLabeledOrFraction: number,
  seed = 0,
): LabeledUnlabeledSplit<[T, number]> {
  const targets = dataset.targets;
  if (!targets || targets.length !== dataset.length) {
    throw new Error("labeledUnlabeledSplit: the dataset must expose `targets` (one class index per item), like ImageFolder and CIFAR10 do");
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < targets.length; i++) {
    const members = byClass.get(targets[i]) ?? [];
    members.push(i);
    byClass.set(targets[i], members);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const nLabeled = nLabeledOrFraction > 0 && nLabeledOrFraction < 1 ? Math.round(nLabeledOrFraction * dataset.length) : nLabeledOrFraction;
  if (!Number.isInteger(nLabeled) || nLabeled <= 0 || nLabeled > dataset.length) {
    throw new Error(`labeledUnlabeledSplit: nLabeled must be a count in 1..${dataset.length} or a fraction in (0, 1), got ${nLabeledOrFraction}`);
  }
  const share = equalClassShare(nLabeled, classes.length);
  if (share !== nLabeled) {
    throw new Error(
      `labeledUnlabeledSplit: ${nLabeled} labeled items cannot be split equally over ${classes.length} classes; ` +
        `use a multiple of ${classes.length} (e.g. ${share})`,
    );
  }
  const perClass = nLabeled / classes.length;
  const generator = new Generator(seed);
  const isLabeled = new Uint8Array(dataset.length);
  for (const cls of classes) {
    const members = byClass.get(cls) ?? [];
    if (members.length < perClass) {
      throw new Error(`labeledUnlabeledSplit: class ${cls} has only ${members.length} items, fewer than the ${perClass} labeled per class asked for`);
    }
    const order = generator.randperm(members.length);
    for (let k = 0; k < perClass; k++) isLabeled[members[order[k]]] = 1;
  }
  const labeled: number[] = [];
  const unlabeled: number[] = [];
  for (let i = 0; i < dataset.length; i++) (isLabeled[i] ? labeled : unlabeled).push(i);
  return { labeled: new Subset(dataset, labeled), unlabeled: new Subset(dataset, unlabeled) };
}
