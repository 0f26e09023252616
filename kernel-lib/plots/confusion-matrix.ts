/** sklearn-style confusion matrix: rows are true classes, columns predicted classes. */
import type { MimeBundle } from "./display";
import type { Chart } from "./chart-spec";
import { showFigure, type ShowOptions } from "./figure";
import { readLabelPair, type LabelInput } from "./labels";

/** counts[true][predicted] */
export function computeConfusionMatrix(yTrue: LabelInput, yPred: LabelInput, classCount: number): number[][] {
  if (!Number.isInteger(classCount) || classCount < 1) throw new Error(`computeConfusionMatrix: classCount must be a positive integer, got ${classCount}`);
  const { truth, predicted } = readLabelPair(yTrue, yPred, classCount);
  const counts = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  truth.forEach((trueClass, index) => counts[trueClass][predicted[index]]++);
  return counts;
}

export interface ConfusionMatrixOptions extends ShowOptions {
  /** "true": each row as percentages of that class's samples (colour and text); counts otherwise. */
  normalize?: "true" | "none";
  title?: string;
}

export interface ConfusionMatrixResult {
  /** counts[true][predicted] */
  matrix: number[][];
  /** matrix rows divided by their sums (NaN for classes without samples). */
  normalized: number[][];
  accuracy: number;
  sampleCount: number;
  chart: Chart;
  bundle: MimeBundle;
}

function checkClassNames(classNames: readonly string[]): void {
  if (!Array.isArray(classNames) || classNames.length === 0) throw new Error("classNames: pass the dataset's class names (e.g. dataset.classes), one per class index");
}

/** Computes and plots the confusion matrix with class names and counts in each cell. */
export async function confusionMatrix(yTrue: LabelInput, yPred: LabelInput, classNames: readonly string[], options: ConfusionMatrixOptions = {}): Promise<ConfusionMatrixResult> {
  checkClassNames(classNames);
  const matrix = computeConfusionMatrix(yTrue, yPred, classNames.length);
  const normalized = matrix.map((row) => {
    const total = row.reduce((sum, count) => sum + count, 0);
    return row.map((count) => (total === 0 ? Number.NaN : count / total));
  });
  const sampleCount = matrix.flat().reduce((sum, count) => sum + count, 0);
  const correct = matrix.reduce((sum, row, index) => sum + row[index], 0);
  const accuracy = sampleCount === 0 ? Number.NaN : correct / sampleCount;
  const asPercent = options.normalize === "true";
  const chart: Chart = {
    traces: [
      {
        type: "heatmap",
        name: "confusion matrix",
        z: asPercent ? normalized.map((row) => row.map((value) => (Number.isNaN(value) ? 0 : value))) : matrix,
        x: [...classNames],
        y: [...classNames],
        text: asPercent ? normalized.map((row) => row.map((value) => (Number.isNaN(value) ? "–" : `${(100 * value).toFixed(1)}%`))) : matrix.map((row) => row.map(String)),
      },
    ],
    layout: {
      title: options.title ?? `Confusion matrix (${sampleCount} samples, accuracy ${(100 * accuracy).toFixed(1)}%)`,
      xaxis: { title: "predicted" },
      yaxis: { title: "true" },
      // Room for long class names grows with the class count.
      width: Math.max(520, 160 + 48 * classNames.length),
      height: Math.max(440, 170 + 44 * classNames.length),
    },
  };
  const bundle = await showFigure([chart], options);
  return { matrix, normalized, accuracy, sampleCount, chart, bundle };
}
