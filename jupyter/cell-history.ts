/**
 * The inputs (and text results) of this kernel session's cells, answering Jupyter `history_request`s
 * (`tail`, `range`, `search`) as IPython does, without persisting anything across sessions.
 */
export interface HistoryRequest {
  output?: boolean;
  hist_access_type?: "tail" | "range" | "search";
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** [session, line, input] or, when outputs are asked for, [session, line, [input, output]]. */
export type HistoryEntry = [number, number, string | [string, string | null]];

interface Cell {
  line: number;
  input: string;
  output: string | undefined;
}

/** Sessions are numbered per kernel process; this kernel keeps only its own. */
const SESSION = 1;

export class CellHistory {
  private readonly cells: Cell[] = [];

  add(line: number, input: string, output: string | undefined): void {
    this.cells.push({ line, input, output });
  }

  answer(request: HistoryRequest): HistoryEntry[] {
    let selected: Cell[];
    switch (request.hist_access_type) {
      case "range":
        selected = this.range(request);
        break;
      case "search":
        selected = this.search(request);
        break;
      default:
        selected = lastN(this.cells, request.n);
    }
    return selected.map((cell) => [SESSION, cell.line, request.output ? [cell.input, cell.output ?? null] : cell.input]);
  }

  private range(request: HistoryRequest): Cell[] {
    if (request.session !== undefined && request.session !== SESSION && request.session !== 0) return [];
    const start = request.start ?? 1;
    const stop = request.stop ?? Number.POSITIVE_INFINITY;
    return this.cells.filter((cell) => cell.line >= start && cell.line < stop);
  }

  private search(request: HistoryRequest): Cell[] {
    const matcher = globToRegExp(request.pattern ?? "*");
    let matches = this.cells.filter((cell) => matcher.test(cell.input));
    if (request.unique) {
      // Keep the latest cell of each distinct input.
      const latest = new Map<string, Cell>();
      for (const cell of matches) latest.set(cell.input, cell);
      matches = [...latest.values()].sort((a, b) => a.line - b.line);
    }
    return lastN(matches, request.n);
  }
}

function lastN<T>(items: T[], n: number | undefined): T[] {
  return n === undefined || n <= 0 ? items.slice() : items.slice(-n);
}

/** IPython's history search patterns are shell globs (`*`, `?`) over the whole input. */
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${escaped}$`);
}
