/**
 * The project's Jupyter kernel: tslab 1.0.22's compiler, executor and ZeroMQ server (required from its
 * dist modules) with the protocol fixes of kernel-server.ts. Started by
 * jupyter/kernels/ts-resnet-lab/launch.sh from the repository root:
 *   node --require ts-node/register/transpile-only jupyter/kernel.ts <connection file>
 */
import { createConverter, type Converter } from "tslab/dist/converter";
import { createExecutor, type ConverterSet } from "tslab/dist/executor";
import { JupyterHandlerImpl } from "tslab/dist/jupyter";
import * as path from "node:path";
import { CellRunner, RecordingConsole } from "./cell-runner";
import { tolerateConcurrentWatchTimers } from "./converter-timers";
import { LabKernelServer } from "./kernel-server";

/** Converters are built lazily: the browser one is only needed by `//%browser` cells. */
class LazyConverters implements ConverterSet {
  private nodeConverter: Converter | undefined;
  private browserConverter: Converter | undefined;

  get node(): Converter {
    this.nodeConverter ??= createConverter({ isJS: false, isBrowser: false });
    return this.nodeConverter;
  }

  get browser(): Converter {
    this.browserConverter ??= createConverter({ isJS: false, isBrowser: true });
    return this.browserConverter;
  }

  close(): void {
    this.nodeConverter?.close();
    this.browserConverter?.close();
  }
}

/** The TypeScript 5.0.4 build that tslab compiles cells with (not the project's TypeScript). */
function tslabTypeScript(): { sys: object } {
  const tslabFolder = path.dirname(require.resolve("tslab/package.json"));
  return require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabFolder] })) as { sys: object };
}

function main(argv: string[]): void {
  const connectionFile = argv[0];
  if (!connectionFile) {
    console.error("usage: node --require ts-node/register/transpile-only jupyter/kernel.ts <connection file>\n" +
      "Jupyter passes the connection file; start the kernel through jupyter/kernels/ts-resnet-lab/kernel.json.");
    process.exit(2);
  }
  tolerateConcurrentWatchTimers(tslabTypeScript().sys);
  const converters = new LazyConverters();
  void converters.node; // compile the TypeScript library once now, not in the first cell
  const recorder = new RecordingConsole();
  const executor = createExecutor(process.cwd(), converters, recorder);
  const handler = new JupyterHandlerImpl(executor, false);
  const server = new LabKernelServer(handler, new CellRunner(executor, recorder), connectionFile);
  // Interrupt: sync loops stop through vm's breakOnSigint, awaited promises through executor.interrupt().
  process.on("SIGINT", () => executor.interrupt());
  // Errors escaping a cell's unawaited async work must not kill the kernel; they go to the last cell.
  process.on("uncaughtException", (error) => console.error("Uncaught exception (from earlier async work):", error));
  process.on("unhandledRejection", (reason) => console.error("Unhandled promise rejection:", reason));
  server.init().catch((error: unknown) => {
    console.error(`kernel could not bind its sockets (connection file ${connectionFile}):`, error);
    process.exit(1);
  });
}

main(process.argv.slice(2));
