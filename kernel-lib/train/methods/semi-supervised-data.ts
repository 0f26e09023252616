/**
 * The CIFAR-10 loaders a semi-supervised comparison needs, all from one stratified labeled/unlabeled
 * split so the three methods see exactly the same labels:
 * - labeled: weak augmentation (random crop with reflect padding + horizontal flip), one view;
 * - Mean Teacher's unlabeled: two INDEPENDENT draws of that augmentation (student view, teacher view);
 * - FixMatch's unlabeled: a weak view and a strong view (weak + RandAugment + Cutout-style erasing);
 * - test: no augmentation.
 * The pixel buffers are shared; only the transforms differ.
 */
import { CIFAR10Dataset } from "../../data/cifar10";
import { DataLoader } from "../../data/data-loader";
import type { Image } from "../../data/image";
import { labeledUnlabeledSplit } from "../../data/splits";
import { Subset } from "../../data/subset";
import { Compose, MultiView, Normalize, RandAugment, RandomCrop, RandomErasing, RandomHorizontalFlip, Resize, ToTensor } from "../../data/transforms";
import type { TransformLike } from "../../data/transforms/transform";

/** Per-channel statistics of the CIFAR-10 training set (the usual values). */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.2471, 0.2435, 0.2616] as const;

export interface SemiSupervisedDataOptions {
  /** Labeled images, equal per class (5,000 = the tutorial's 10%; 4,000 = the papers' benchmark). */
  labels: number;
  /** Labeled images per step. */
  batchSize: number;
  /** μ: unlabeled images per labeled image in a step (FixMatch: 7). */
  unlabeledRatio: number;
  /** Side of the square training images (32 for CIFAR-10; smaller only to smoke-test the code). */
  imageSize?: number;
  /** Seed of the split and of the loaders' shuffling and augmentation. */
  seed?: number;
  /** Use only the first `testLimit` test images (smoke runs). */
  testLimit?: number;
  testBatchSize?: number;
}

export interface SemiSupervisedData {
  labeled: DataLoader<Image>;
  meanTeacherUnlabeled: DataLoader<Image[]>;
  fixMatchUnlabeled: DataLoader<Image[]>;
  test: DataLoader<Image>;
  labeledCount: number;
  unlabeledCount: number;
  testCount: number;
  /** Labeled images per class, for the notebook to show that the split is stratified. */
  labelsPerClass: number[];
}

function withTransform<T>(dataset: CIFAR10Dataset<Image>, transform: TransformLike<Image, T>): CIFAR10Dataset<T> {
  return new CIFAR10Dataset<T>(dataset.data, dataset.targets, dataset.classes, dataset.source, transform);
}

export function semiSupervisedData(train: CIFAR10Dataset<Image>, test: CIFAR10Dataset<Image>, options: SemiSupervisedDataOptions): SemiSupervisedData {
  const size = options.imageSize ?? 32;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(options.unlabeledRatio) && options.unlabeledRatio >= 1)) {
    throw new Error(`semiSupervisedData: unlabeledRatio (μ) must be a positive integer, got ${options.unlabeledRatio}`);
  }
  const resize = size === 32 ? [] : [new Resize([size, size])];
  const normalize = [new ToTensor(), new Normalize([...CIFAR10_MEAN], [...CIFAR10_STD])];
  // FixMatch's weak view: 12.5% translation with reflect padding, and a horizontal flip.
  const weakSteps = [...resize, new RandomCrop(size, { padding: Math.max(1, Math.round(size / 8)), paddingMode: "reflect" }), new RandomHorizontalFlip()];
  const weak = new Compose([...weakSteps, ...normalize]);
  // Cutout ≈ a square of up to half the side filled with the mean colour (0 after Normalize).
  const strong = new Compose([...weakSteps, new RandAugment({ numOps: 2, magnitude: 9 }), ...normalize, new RandomErasing({ p: 1, scale: [0.02, 0.25], ratio: [1, 1], value: 0 })]);
  const plain = new Compose([...resize, ...normalize]);

  const split = labeledUnlabeledSplit(train, options.labels, seed);
  const labeledIndices = split.labeled.indices;
  const unlabeledIndices = split.unlabeled.indices;
  const testSet = options.testLimit === undefined ? withTransform(test, plain) : new Subset(withTransform(test, plain), Array.from({ length: Math.min(options.testLimit, test.length) }, (_, i) => i));
  const unlabeledBatch = options.batchSize * options.unlabeledRatio;
  const labelsPerClass = train.classes.map(() => 0);
  for (const index of labeledIndices) labelsPerClass[train.targets[index]]++;
  return {
    labeled: new DataLoader(new Subset(withTransform(train, weak), labeledIndices), { batchSize: options.batchSize, shuffle: true, dropLast: true, seed }),
    meanTeacherUnlabeled: new DataLoader(new Subset(withTransform(train, new MultiView([weak, weak])), unlabeledIndices), { batchSize: unlabeledBatch, shuffle: true, dropLast: true, seed: seed + 1 }),
    fixMatchUnlabeled: new DataLoader(new Subset(withTransform(train, new MultiView([weak, strong])), unlabeledIndices), { batchSize: unlabeledBatch, shuffle: true, dropLast: true, seed: seed + 2 }),
    test: new DataLoader(testSet, { batchSize: options.testBatchSize ?? 100 }),
    labeledCount: labeledIndices.length,
    unlabeledCount: unlabeledIndices.length,
    testCount: testSet.length,
    labelsPerClass,
  };
}
