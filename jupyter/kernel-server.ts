/**
 * tslab's ZeroMQ server with the Jupyter protocol gaps closed (see toolchain.md): failing cells send an
 * `error` message and an error reply without aborting the cells queued behind them; `execute_input`,
 * `execution_count` and `execute_result` (see cell-value.ts) are sent; kernel_info and comm_info replies are well formed;
 * history requests are answered; kernel-lib's display hook (kernel-lib/plots/display.ts) is installed;
 * every socket sends through a queue (queued-send.ts), so a busy client never makes a send throw.
 */
import { JupyterHandlerImpl, ZmqServer } from "tslab/dist/jupyter";
import { compileError, runtimeError, type CellError } from "./cell-errors";
import type { CellRunner } from "./cell-runner";
import { describeValue } from "./cell-value";
import { CellHistory, type HistoryRequest } from "./cell-history";
import { withQueuedSends } from "./queued-send";

type KernelMessage = Parameters<ZmqServer["handleKernelInfo"]>[1];
type Socket = Parameters<ZmqServer["handleShellMessage"]>[0];
type MessageClass = { fromRaw(key: string, raw: Buffer[]): KernelMessage };
type DisplayData = Parameters<typeof import("tslab/dist/jupyter").lastWriteDisplayData>[0];

interface ExecuteRequestContent {
  code: string;
  silent?: boolean;
  store_history?: boolean;
}

/** What kernel-lib/plots/display.ts calls; a bundle maps MIME types to strings. */
type DisplayHook = (bundle: Record<string, string>, displayId?: string, update?: boolean) => void;
interface KernelGlobals {
  __kernelLibDisplay?: DisplayHook;
  __kernelLibClearOutput?: (wait?: boolean) => void;
}

/** tslab's module object: `tslab.display` reads `lastWriteDisplayData` from it at call time. */
const tslabJupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: ((data: DisplayData, update: boolean) => void) | null };
const tslabPublic = require("tslab/dist/public") as { versions: { tslab: string; typescript: string; node: string } };

const PROTOCOL_VERSION = "5.3";
const DELIMITER = Buffer.from("<IDS|MSG>");

export class LabKernelServer extends ZmqServer {
  private executionCount = 0;
  private cellQueue: Promise<void> = Promise.resolve();
  private readonly history = new CellHistory();
  private messageClass: MessageClass | undefined;

  constructor(
    private readonly cellHandler: JupyterHandlerImpl,
    private readonly cells: CellRunner,
    configPath: string,
  ) {
    super(cellHandler, configPath);
  }

  override async init(): Promise<void> {
    await super.init();
    // A full iopub queue makes ZeroMQ wait (the send queue holds the rest) instead of dropping output.
    this.iopub.noDrop = true;
    // tslab reads these fields at each send (and passes this.shell to the shell handler), so the proxies take over.
    this.iopub = withQueuedSends(this.iopub).socket;
    this.shell = withQueuedSends(this.shell).socket;
    this.control = withQueuedSends(this.control).socket;
    this.stdin = withQueuedSends(this.stdin).socket;
  }

  override publishStatus(status: string, parent: KernelMessage): void {
    // ZmqMessage is not exported by tslab; its class is taken from the first message parsed.
    this.messageClass ??= parent.constructor as unknown as MessageClass;
    super.publishStatus(status, parent);
  }

  override async handleShellMessage(sock: Socket, ...args: Buffer[]): Promise<void> {
    if (this.messageClass && messageType(args) === "history_request") {
      const msg = this.messageClass.fromRaw(this.connInfo.key, args);
      this.publishStatus("busy", msg);
      try {
        this.reply(sock, msg, "history_reply", { status: "ok", history: this.history.answer(msg.content as HistoryRequest) });
      } finally {
        this.publishStatus("idle", msg);
      }
      return;
    }
    return super.handleShellMessage(sock, ...args);
  }

  override handleKernelInfo(sock: Socket, msg: KernelMessage): void {
    const base = this.cellHandler.handleKernel();
    this.reply(sock, msg, "kernel_info_reply", {
      ...base,
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "kernel-lib",
      implementation_version: tslabPublic.versions.tslab,
      language_info: { ...base.language_info, version: tslabPublic.versions.typescript, pygments_lexer: "typescript" },
      banner: `TypeScript ${tslabPublic.versions.typescript} (tslab ${tslabPublic.versions.tslab}, kernel-lib) on Node ${process.version}`,
      help_links: [{ text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" }],
    });
  }

  override handleCommInfoRequest(sock: Socket, msg: KernelMessage): void {
    // No comm targets (no widgets); tslab replied with the wrong message type.
    this.reply(sock, msg, "comm_info_reply", { status: "ok", comms: {} });
  }

  override handleExecute(sock: Socket, msg: KernelMessage): Promise<void> {
    // Cells run one after another; a failure never cancels the cells queued behind it.
    const run = this.cellQueue.then(() => this.executeCell(sock, msg));
    this.cellQueue = run.catch(() => undefined);
    return run;
  }

  private async executeCell(sock: Socket, msg: KernelMessage): Promise<void> {
    const request = msg.content as ExecuteRequestContent;
    const silent = request.silent === true;
    const storeHistory = !silent && request.store_history !== false;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) this.publish(msg, "execute_input", { code: request.code, execution_count: count });
    this.routeOutputsTo(msg, silent);

    const outcome = await this.cells.run(request.code, count);
    let error: CellError | undefined;
    let resultText: string | undefined;
    if (outcome.kind === "compile-error") error = compileError(outcome.diagnostics, count, request.code);
    else if (outcome.kind === "runtime-error") error = runtimeError(outcome.thrown, this.cells.sources);
    else {
      if (outcome.moduleDiagnostics.length > 0 && !silent) {
        const text = compileError(outcome.moduleDiagnostics, count, request.code).traceback.join("\n");
        this.publish(msg, "stream", { name: "stderr", text: `${text}\n` });
      }
      if (outcome.hasValue) resultText = describeValue(outcome.value);
    }

    if (error) {
      if (!silent) this.publish(msg, "error", { ...error });
      this.reply(sock, msg, "execute_reply", { status: "error", execution_count: count, ...error });
    } else {
      if (resultText !== undefined && !silent) {
        this.publish(msg, "execute_result", { execution_count: count, data: { "text/plain": resultText }, metadata: {} });
      }
      this.reply(sock, msg, "execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: {} });
    }
    if (storeHistory) this.history.add(count, request.code, resultText);
  }

  /**
   * Sends stdout/stderr, tslab displays and kernel-lib displays to this cell. Like IPython, output
   * written after the cell finished (timers, unawaited promises) still goes to the last cell.
   */
  private routeOutputsTo(msg: KernelMessage, silent: boolean): void {
    const writeStream = (name: string, text: string): void => {
      if (!silent) this.publish(msg, "stream", { name, text });
    };
    const writeDisplayData = (data: DisplayData, update: boolean): void => {
      this.publish(msg, update ? "update_display_data" : "display_data", data);
    };
    process.stdout.write = this.cellHandler.createWriteToIopub("stdout", writeStream) as typeof process.stdout.write;
    process.stderr.write = this.cellHandler.createWriteToIopub("stderr", writeStream) as typeof process.stderr.write;
    tslabJupyter.lastWriteDisplayData = writeDisplayData;
    const globals = globalThis as KernelGlobals;
    globals.__kernelLibDisplay = (bundle, displayId, update) => {
      const transient = displayId === undefined ? {} : { display_id: displayId };
      writeDisplayData({ data: bundle, metadata: {}, transient }, update === true && displayId !== undefined);
    };
    globals.__kernelLibClearOutput = (wait = false) => this.publish(msg, "clear_output", { wait });
  }

  private publish(parent: KernelMessage, type: string, content: object): void {
    const message = parent.createReply();
    message.header.msg_type = type;
    message.content = content;
    message.signAndSend(this.connInfo.key, this.iopub);
  }

  private reply(sock: Socket, parent: KernelMessage, type: string, content: object): void {
    const message = parent.createReply();
    message.header.msg_type = type;
    message.content = content;
    message.signAndSend(this.connInfo.key, sock);
  }
}

/** The msg_type of a raw ZeroMQ multipart message, read without verifying it (fromRaw verifies). */
function messageType(raw: Buffer[]): string | undefined {
  const delimiter = raw.findIndex((part) => part.equals(DELIMITER));
  if (delimiter < 0 || raw.length <= delimiter + 2) return undefined;
  try {
    return (JSON.parse(raw[delimiter + 2].toString()) as { msg_type?: string }).msg_type;
  } catch {
    return undefined;
  }
}
