/**
 * Runs one cell through tslab's executor and reports what happened as data (value, diagnostics or a
 * thrown value) instead of letting tslab print it.
 *
 * tslab's executor writes diagnostics and exceptions with `console.error` and the cell's last value with
 * `console.log` of the console object it was created with; giving it a recording console is how the
 * kernel learns about them without changing tslab. The executor also compiles the cell with `vm`
 * without a file name; while a cell starts, `vm.runInThisContext` is wrapped to name it `cell[N]` and
 * to keep its JavaScript, so stack traces can be mapped back to the cell's TypeScript lines.
 */
import * as vm from "node:vm";
import type { ConsoleInterface, Executor } from "tslab/dist/executor";
import { cellFileName, type CellDiagnostic, type CellSources } from "./cell-errors";

export type CellOutcome =
  | { kind: "ok"; hasValue: boolean; value: unknown; moduleDiagnostics: CellDiagnostic[] }
  | { kind: "compile-error"; diagnostics: CellDiagnostic[] }
  | { kind: "runtime-error"; thrown: unknown };

/** The format string tslab's executor uses for each diagnostic: file prefix, line, column, message. */
const DIAGNOSTIC_FORMAT = "%s%d:%d - %s";

interface CellRecord {
  diagnostics: CellDiagnostic[];
  thrown: { value: unknown } | undefined;
  result: { value: unknown } | undefined;
}

export class RecordingConsole implements ConsoleInterface {
  private record: CellRecord = RecordingConsole.empty();

  static empty(): CellRecord {
    return { diagnostics: [], thrown: undefined, result: undefined };
  }

  begin(): void {
    this.record = RecordingConsole.empty();
  }

  take(): CellRecord {
    const record = this.record;
    this.record = RecordingConsole.empty();
    return record;
  }

  log(value?: unknown): void {
    this.record.result = { value };
  }

  error(message?: unknown, ...params: unknown[]): void {
    if (message === DIAGNOSTIC_FORMAT) {
      const [filePrefix, line, column, text] = params;
      this.record.diagnostics.push({
        fileName: String(filePrefix ?? "").trim(),
        line: Number(line),
        column: Number(column),
        message: String(text),
      });
    } else {
      this.record.thrown = { value: message };
    }
  }
}

type RunInThisContext = (code: string, options?: vm.RunningScriptOptions | string) => unknown;

/** Node's `vm` module object as a mutable record (the executor looks the function up on each call). */
const vmModule = require("node:vm") as { runInThisContext: RunInThisContext };

export class CellRunner {
  /** Sources of every cell run so far: functions defined in cell 2 can throw while cell 7 runs. */
  readonly sources = new Map<number, CellSources>();

  constructor(
    private readonly executor: Executor,
    private readonly recorder: RecordingConsole,
  ) {}

  async run(code: string, count: number): Promise<CellOutcome> {
    this.recorder.begin();
    const original = vmModule.runInThisContext;
    let executed: Promise<boolean>;
    vmModule.runInThisContext = (javascript, options) => {
      this.sources.set(count, { typescript: code, javascript });
      const named = typeof options === "object" ? { ...options, filename: cellFileName(count) } : { filename: cellFileName(count) };
      return original.call(vm, javascript, named);
    };
    try {
      // The executor compiles and starts the cell synchronously inside this call, before its first await.
      executed = this.executor.execute(code);
    } finally {
      vmModule.runInThisContext = original;
    }
    let ok: boolean;
    try {
      ok = await executed;
    } catch (thrown) {
      return { kind: "runtime-error", thrown };
    }
    const record = this.recorder.take();
    if (record.thrown) return { kind: "runtime-error", thrown: record.thrown.value };
    if (!ok) return { kind: "compile-error", diagnostics: record.diagnostics };
    return {
      kind: "ok",
      hasValue: record.result !== undefined,
      value: record.result?.value,
      moduleDiagnostics: record.diagnostics,
    };
  }
}
