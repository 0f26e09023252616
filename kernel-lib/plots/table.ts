/**
 * A small table as a notebook shows it: aligned text columns (terminals, text/plain) and an HTML table
 * (text/html), from the same cells. For run comparisons and other result tables.
 */
import type { MimeBundle } from "./display";

export type ColumnAlignment = "left" | "right";

export interface TableOptions {
  /** Per column; columns without an entry are left-aligned. */
  align?: readonly ColumnAlignment[];
  /** `class` attribute of the HTML table. */
  className?: string;
}

/** Text for HTML element content: &, < and > escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function tableBundle(header: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): MimeBundle {
  const alignment = (column: number): ColumnAlignment => options.align?.[column] ?? "left";
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (values: readonly string[]): string =>
    values.map((value, column) => (alignment(column) === "right" ? value.padStart(widths[column]) : value.padEnd(widths[column]))).join("  ").trimEnd();
  const text = [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
  const cell = (value: string, column: number): string => `<td style="text-align:${alignment(column)}">${escapeHtml(value)}</td>`;
  const html =
    `<table${options.className ? ` class="${options.className}"` : ""}><thead><tr>${header.map((title) => `<th>${escapeHtml(title)}</th>`).join("")}</tr></thead><tbody>` +
    rows.map((row) => `<tr>${row.map(cell).join("")}</tr>`).join("") +
    "</tbody></table>";
  return { "text/plain": text, "text/html": html };
}
