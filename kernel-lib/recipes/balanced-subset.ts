/**
 * The same number of images from every class (a seeded draw), for quick runs on part of a dataset: the
 * first N images of an image-folder export would all be airplanes, and a confusion matrix of one class
 * says nothing.
 */
import type { Dataset, LabeledDataset } from "../data/dataset";
import { equalClassShare, labeledUnlabeledSplit } from "../data/splits";

/**
 * `limit` images, `limit / classes` per class, or the whole dataset when `limit` is undefined or not smaller.
 * `setting` names where the limit came from (e.g. "LAB_TRAIN_LIMIT") so an error says what to change.
 */
export function balancedSubset<T>(dataset: LabeledDataset<T>, limit: number | undefined, setting: string, seed = 0): Dataset<[T, number]> {
  if (limit === undefined || limit >= dataset.length) return dataset;
  const classCount = new Set(Array.from(dataset.targets)).size;
  const share = equalClassShare(Math.floor(limit), classCount);
  if (share !== limit) {
    throw new Error(`${setting}=${limit}: use a multiple of the ${classCount} classes so each class gets the same share (e.g. ${setting}=${share})`);
  }
  return labeledUnlabeledSplit(dataset, limit, seed).labeled;
}
