import * as tf from "@tensorflow/tfjs";
import type { Module } from "./module";
import { display, type MimeBundle } from "../plots/display";

/**
 * A torchinfo-like table: one row per module down to `depth`, with its output shape (NHWC, as
 * TF.js computes it), its parameter count (including descendants) and whether those parameters
 * are trainable. Output shapes come from one eval-mode forward pass on zeros, observed by wrapping
 * each module's forward for the duration (PyTorch's forward hooks); BatchNorm statistics are
 * therefore never touched and the model's mode is restored.
 */
export interface SummaryRow {
  name: string;
  type: string;
  depth: number;
  /** The last output of the module during the pass; undefined for modules not called. */
  outputShape: number[] | undefined;
  parameters: number;
  trainableParameters: number;
}

export interface SummaryOptions {
  /** Deepest nesting level shown (torchinfo's default is 3). */
  depth?: number;
}

export class ModelSummary {
  constructor(
    readonly rows: SummaryRow[],
    readonly inputShape: number[],
    readonly outputShape: number[],
    readonly totalParameters: number,
    readonly trainableParameters: number,
  ) {}

  get nonTrainableParameters(): number {
    return this.totalParameters - this.trainableParameters;
  }

  private cells(): string[][] {
    return this.rows.map((row) => [
      `${"  ".repeat(row.depth)}${row.name === "" ? row.type : `${row.name} (${row.type})`}`,
      row.outputShape === undefined ? "--" : `[${row.outputShape.join(", ")}]`,
      row.parameters.toLocaleString("en-US"),
      row.parameters === 0 ? "--" : row.trainableParameters === row.parameters ? "True" : row.trainableParameters === 0 ? "False" : "Partial",
    ]);
  }

  private totals(): string[] {
    return [
      `Total params: ${this.totalParameters.toLocaleString("en-US")}`,
      `Trainable params: ${this.trainableParameters.toLocaleString("en-US")}`,
      `Non-trainable params: ${this.nonTrainableParameters.toLocaleString("en-US")}`,
      `Input shape: [${this.inputShape.join(", ")}] (NHWC); params size (MB): ${((this.totalParameters * 4) / 1e6).toFixed(2)}`,
    ];
  }

  toString(): string {
    const header = ["Layer (type)", "Output Shape", "Param #", "Trainable"];
    const body = this.cells();
    const widths = header.map((title, c) => Math.max(title.length, ...body.map((row) => row[c]!.length)));
    const format = (row: string[]): string => row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ");
    const rule = "=".repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [rule, format(header), rule, ...body.map(format), rule, ...this.totals(), rule].join("\n");
  }

  toHtml(): string {
    const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const rows = this.cells()
      .map((row) => {
        const [layer, ...rest] = row;
        const indent = (layer!.length - layer!.trimStart().length) / 2;
        const first = `<td style="text-align:left;padding-left:${0.5 + indent * 1.2}em">${escape(layer!.trim())}</td>`;
        return `<tr>${first}${rest.map((cell, c) => `<td style="text-align:${c === 0 ? "left" : "right"}">${escape(cell)}</td>`).join("")}</tr>`;
      })
      .join("\n");
    return [
      `<table style="font-family:monospace;border-collapse:collapse">`,
      `<thead><tr><th style="text-align:left">Layer (type)</th><th style="text-align:left">Output Shape</th><th>Param #</th><th>Trainable</th></tr></thead>`,
      `<tbody>\n${rows}\n</tbody>`,
      `<tfoot>${this.totals().map((line) => `<tr><td colspan="4" style="text-align:left">${escape(line)}</td></tr>`).join("")}</tfoot>`,
      `</table>`,
    ].join("\n");
  }

  toMimeBundle(): MimeBundle {
    return { "text/plain": this.toString(), "text/html": this.toHtml() };
  }

  /** Shows the table as HTML in the notebook, as text in a terminal. */
  show(): void {
    display(this.toMimeBundle());
  }

  /** console.log (and a notebook cell's last expression) prints the table, not the object. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** `summary(model, [1, 224, 224, 3])` (a [height, width, channels] shape gets batch 1). */
export function summary(model: Module, inputShape: number[], options: SummaryOptions = {}): ModelSummary {
  const depth = options.depth ?? 3;
  const shape = inputShape.length === 3 ? [1, ...inputShape] : inputShape;
  if (shape.length !== 4 || shape.some((size) => !Number.isInteger(size) || size <= 0)) {
    throw new Error(`summary: inputShape must be [batch, height, width, channels] or [height, width, channels], got [${inputShape.join(", ")}]`);
  }
  const modules = model.namedModules();
  const outputShapes = new Map<Module, number[]>();
  const wasTraining = modules.map(([, module]) => module.training);
  const patched: Module[] = [];
  try {
    model.eval();
    for (const [, module] of modules) {
      const original = module.forward;
      // An own property shadows the prototype's forward until it is deleted below.
      module.forward = (x: tf.Tensor): tf.Tensor => {
        const y = original.call(module, x);
        outputShapes.set(module, [...y.shape]);
        return y;
      };
      patched.push(module);
    }
    tf.tidy(() => {
      model.forward(tf.zeros(shape));
    });
  } finally {
    for (const module of patched) delete (module as { forward?: unknown }).forward;
    modules.forEach(([, module], i) => {
      module.training = wasTraining[i]!;
    });
  }
  const rows: SummaryRow[] = [];
  for (const [name, module] of modules) {
    const level = name === "" ? 0 : name.split(".").length;
    if (level > depth) continue;
    const parameters = module.parameters();
    rows.push({
      name,
      type: module.constructor.name,
      depth: level,
      outputShape: outputShapes.get(module),
      parameters: parameters.reduce((total, variable) => total + variable.size, 0),
      trainableParameters: parameters.reduce((total, variable) => total + (variable.trainable ? variable.size : 0), 0),
    });
  }
  const root = rows[0]!;
  return new ModelSummary(rows, shape, outputShapes.get(model) ?? [], root.parameters, root.trainableParameters);
}
