/** Accuracy of each class (recall: correct / samples of that class) as a bar chart. */
import type { Chart } from "./chart-spec";
import type { MimeBundle } from "./display";
import { showFigure, type ShowOptions } from "./figure";
import { readLabelPair, type LabelInput } from "./labels";

export interface PerClassAccuracy {
  /** Samples of each true class. */
  support: number[];
  /** Correctly predicted samples of each class. */
  correct: number[];
  /** correct / support; NaN where a class has no samples. */
  accuracy: number[];
}

export function computePerClassAccuracy(yTrue: LabelInput, yPred: LabelInput, classCount: number): PerClassAccuracy {
  const { truth, predicted } = readLabelPair(yTrue, yPred, classCount);
  const support = new Array<number>(classCount).fill(0);
  const correct = new Array<number>(classCount).fill(0);
  truth.forEach((trueClass, index) => {
    support[trueClass]++;
    if (predicted[index] === trueClass) correct[trueClass]++;
  });
  return { support, correct, accuracy: support.map((count, index) => (count === 0 ? Number.NaN : correct[index] / count)) };
}

function supportRange(support: number[]): string {
  const fewest = Math.min(...support);
  const most = Math.max(...support);
  return fewest === most ? String(fewest) : `${fewest}–${most}`;
}

export interface PerClassAccuracyResult extends PerClassAccuracy {
  chart: Chart;
  bundle: MimeBundle;
}

export async function perClassAccuracy(yTrue: LabelInput, yPred: LabelInput, classNames: readonly string[], options: ShowOptions & { title?: string } = {}): Promise<PerClassAccuracyResult> {
  if (!Array.isArray(classNames) || classNames.length === 0) throw new Error("classNames: pass the dataset's class names (e.g. dataset.classes), one per class index");
  const result = computePerClassAccuracy(yTrue, yPred, classNames.length);
  const chart: Chart = {
    traces: [
      {
        type: "bar",
        name: "accuracy (%)",
        x: [...classNames],
        y: result.accuracy.map((value) => (Number.isNaN(value) ? 0 : 100 * value)),
        text: result.accuracy.map((value) => (Number.isNaN(value) ? "n/a" : `${(100 * value).toFixed(1)}%`)),
      },
    ],
    layout: {
      title: options.title ?? `Per-class accuracy (${result.support.reduce((a, b) => a + b, 0)} samples, ${supportRange(result.support)} per class)`,
      xaxis: { title: "class" },
      yaxis: { title: "accuracy (%)", range: [0, 110] },
      width: Math.max(560, 120 + 70 * classNames.length),
    },
  };
  const bundle = await showFigure([chart], options);
  return { ...result, chart, bundle };
}
