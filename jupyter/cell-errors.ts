/**
 * Turns what a failed cell produced (TypeScript diagnostics or a thrown value) into the content of a
 * Jupyter `error` message: ename, evalue and a traceback that names the cell and its line.
 *
 * tslab runs the cell's JavaScript (after two transpilations, without source maps), so a stack frame's
 * line is a line of that JavaScript. The kernel runs each cell under the file name `cell[N]` and keeps
 * both texts; a frame is mapped back to the TypeScript line that shares the most tokens with the
 * JavaScript line, which is right for ordinary statements (types are the only thing TypeScript removes).
 */
import * as util from "node:util";

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** One TypeScript diagnostic as tslab's executor reports it (line and column are 1-based). */
export interface CellDiagnostic {
  fileName: string;
  line: number;
  column: number;
  message: string;
}

/** The TypeScript source of a cell and the JavaScript that ran for it. */
export interface CellSources {
  typescript: string;
  javascript: string;
}

const CELL_FILE_PATTERN = /cell\[(\d+)\]:(\d+)(?::(\d+))?/;

/** File name under which the JavaScript of cell `count` runs, so stack frames can be traced back. */
export function cellFileName(count: number): string {
  return `cell[${count}]`;
}

export function compileError(diagnostics: readonly CellDiagnostic[], count: number, source: string): CellError {
  const lines = source.split("\n");
  const traceback: string[] = [];
  for (const d of diagnostics) {
    const where = d.fileName ? `${d.fileName}:${d.line}:${d.column}` : `${cellFileName(count)}, line ${d.line}:${d.column}`;
    traceback.push(`TypeScript error in ${where} - ${d.message}`);
    if (!d.fileName && lines[d.line - 1] !== undefined) traceback.push(`--> ${d.line} ${lines[d.line - 1]}`);
  }
  const first = diagnostics[0];
  const evalue = first
    ? `${first.fileName ? first.fileName + " " : ""}line ${first.line}:${first.column} - ${first.message}`
    : "compilation failed";
  return { ename: "TypeScriptError", evalue, traceback };
}

export function runtimeError(thrown: unknown, cells: ReadonlyMap<number, CellSources>): CellError {
  if (!(thrown instanceof Error)) {
    const evalue = util.inspect(thrown);
    return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const ename = thrown.name || thrown.constructor?.name || "Error";
  const evalue = thrown.message;
  const traceback = [`${ename}: ${evalue}`];
  for (const frame of stackFrames(thrown)) {
    const match = CELL_FILE_PATTERN.exec(frame);
    const cell = match ? cells.get(Number(match[1])) : undefined;
    if (!match || !cell) {
      if (!isKernelInternalFrame(frame)) traceback.push(frame);
      continue;
    }
    const tsLine = typescriptLineOf(cell, Number(match[2]));
    // The wrapper tslab adds around a cell has no TypeScript line.
    if (tsLine === undefined) continue;
    const code = cell.typescript.split("\n")[tsLine - 1] ?? "";
    // The column is dropped: it counts characters of the JavaScript, not of the cell.
    traceback.push(frame.replace(CELL_FILE_PATTERN, `cell[${match[1]}], line ${tsLine}`));
    traceback.push(`--> ${tsLine} ${code.trim()}`);
  }
  return { ename, evalue, traceback };
}

function stackFrames(error: Error): string[] {
  return (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
}

/** Frames of the kernel itself and of Node's internals say nothing about the user's code. */
function isKernelInternalFrame(frame: string): boolean {
  return /\(node:|at node:|[\\/]tslab[\\/]dist[\\/]|[\\/]jupyter[\\/](cell-runner|kernel)/.test(frame);
}

const IGNORED_TOKENS = new Set(["exports", "const", "let", "var", "void", "__awaiter", "yield"]);

function tokensOf(line: string): string[] {
  const tokens = line.match(/[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g) ?? [];
  return tokens.filter((t) => !IGNORED_TOKENS.has(t));
}

/**
 * The 1-based TypeScript line of JavaScript line `jsLine` of a cell, or undefined when no line shares a
 * token with it. Ties go to the line nearest the same relative position in the cell.
 */
export function typescriptLineOf(cell: CellSources, jsLine: number): number | undefined {
  const jsLines = cell.javascript.split("\n");
  const wanted = tokensOf(jsLines[jsLine - 1] ?? "");
  if (wanted.length === 0) return undefined;
  const tsLines = cell.typescript.split("\n");
  const expected = (jsLine / Math.max(jsLines.length, 1)) * tsLines.length;
  let best: { line: number; score: number; distance: number } | undefined;
  tsLines.forEach((text, index) => {
    const have = new Set(tokensOf(text));
    const score = wanted.filter((t) => have.has(t)).length / wanted.length;
    const distance = Math.abs(index + 1 - expected);
    if (score === 0) return;
    if (!best || score > best.score || (score === best.score && distance < best.distance)) {
      best = { line: index + 1, score, distance };
    }
  });
  return best?.line;
}
