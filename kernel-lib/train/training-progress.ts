/**
 * Live progress for `fit`, like Keras/fastai: a bar with step/total, ETA, running loss and images/s while
 * an epoch runs, and one table row per finished epoch.
 *
 * In the notebook everything lives in ONE display that is updated in place (throttled), so the saved
 * notebook holds a compact table, not hundreds of outputs. In a terminal that is a TTY the bar is redrawn
 * with \r; otherwise (CI logs, files) only the per-epoch lines are printed.
 */
import { inNotebook, newDisplay, type LiveDisplay } from "../plots/display";
import { escapeHtml } from "../plots/table";

export interface EpochRow {
  epoch: number;
  /** Column name → value; numbers are formatted, strings shown as they are. */
  values: Record<string, number | string>;
}

export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

const BAR_WIDTH = 30;

export class TrainingProgress {
  private readonly rows: EpochRow[] = [];
  private readonly display: LiveDisplay | undefined;
  private lastDraw = 0;
  private barText = "";

  constructor(
    private readonly totalEpochs: number,
    private readonly sink: ProgressSink = process.stdout,
    private readonly minRedrawMs = 250,
    notebook: boolean = inNotebook(),
  ) {
    this.display = notebook ? newDisplay(false) : undefined;
  }

  /** Called after each step; redraws at most every `minRedrawMs` (and always on the last step). */
  step(epoch: number, step: number, totalSteps: number, elapsedSeconds: number, runningLoss: number, imagesPerSecond: number): void {
    const now = Date.now();
    if (step < totalSteps && now - this.lastDraw < this.minRedrawMs) return;
    this.lastDraw = now;
    const fraction = totalSteps > 0 ? step / totalSteps : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const eta = step > 0 ? (elapsedSeconds / step) * (totalSteps - step) : NaN;
    this.barText =
      `epoch ${epoch + 1}/${this.totalEpochs} [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${step}/${totalSteps}` +
      ` ${formatDuration(elapsedSeconds)}<${formatDuration(eta)} loss ${formatNumber(runningLoss)} ${imagesPerSecond.toFixed(1)} img/s`;
    if (this.display) this.render();
    else if (this.sink.isTTY) this.sink.write(`\r${this.barText}\x1b[K`);
  }

  /** Adds a finished epoch's row (and prints it in a terminal). */
  epochEnd(row: EpochRow): void {
    const first = this.rows.length === 0;
    this.rows.push(row);
    this.barText = "";
    if (this.display) {
      this.render();
      return;
    }
    if (this.sink.isTTY) this.sink.write("\r\x1b[K");
    const columns = Object.keys(row.values);
    if (first) this.sink.write(`${textRow(["epoch", ...columns])}\n`);
    this.sink.write(`${textRow([String(row.epoch + 1), ...columns.map((c) => formatValue(row.values[c]))])}\n`);
  }

  /** A final message under the table (early stop, interrupt, checkpoint written). */
  note(message: string): void {
    if (this.display) {
      this.barText = message;
      this.render();
    } else {
      if (this.sink.isTTY) this.sink.write("\r\x1b[K");
      this.sink.write(`${message}\n`);
    }
  }

  private render(): void {
    const columns = this.rows.length > 0 ? Object.keys(this.rows[0].values) : [];
    const header = ["epoch", ...columns];
    const body = this.rows.map((row) => [String(row.epoch + 1), ...columns.map((c) => formatValue(row.values[c]))]);
    const text = [...(body.length > 0 ? [textRow(header), ...body.map(textRow)] : []), this.barText].filter((line) => line !== "").join("\n");
    const html =
      `<div class="kernel-lib-progress">` +
      (body.length > 0
        ? `<table style="font-family:monospace"><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>` +
          body.map((cells) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("") +
          `</table>`
        : "") +
      (this.barText ? `<pre style="margin:0">${escapeHtml(this.barText)}</pre>` : "") +
      `</div>`;
    this.display?.update({ "text/plain": text || " ", "text/html": html });
  }
}

function textRow(cells: string[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padStart(5) : cell.padStart(11))).join(" ");
}

function formatValue(value: number | string | undefined): string {
  if (value === undefined) return "-";
  return typeof value === "number" ? formatNumber(value) : value;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(2);
  return value.toFixed(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const hours = Math.floor(minutes / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}:${pad(minutes % 60)}:${pad(whole % 60)}` : `${pad(minutes)}:${pad(whole % 60)}`;
}

