/**
 * Lets tslab's TypeScript watch program survive files changing on disk while the kernel runs.
 *
 * tslab's converter gives the TypeScript watch host a `setTimeout` that holds ONE pending timer and
 * throws "Unexpected pending rebuildTimer" when a second is scheduled (it runs that timer itself when
 * the next cell is converted). TypeScript schedules two timers when a watched file and a failed module
 * lookup location change together (editing or adding files under kernel-lib/ during a session), so the
 * kernel printed that exception into a cell or failed the next cell.
 *
 * tslab assigns `sys.setTimeout` on an object whose prototype is `ts.sys`. An accessor on `ts.sys`
 * receives that assignment, so the converter's own timer functions can be wrapped without changing
 * tslab: a timer scheduled while one is pending is deferred and runs right after the pending one.
 */
type TimerCallback = (...args: unknown[]) => void;
interface PendingTimer {
  callback: () => void;
}
type SetTimer = (callback: TimerCallback, ms?: number, ...args: unknown[]) => unknown;
type ClearTimer = (handle: unknown) => void;

interface ConverterTimers {
  set: SetTimer;
  clear: ClearTimer;
  deferred: { run: () => void }[];
}

interface TimerHost {
  setTimeout?: SetTimer;
  clearTimeout?: ClearTimer;
}

const PENDING_TIMER_MESSAGE = "Unexpected pending rebuildTimer";

/** Installs the accessors once per process; `system` is tslab's TypeScript module's `ts.sys`. */
export function tolerateConcurrentWatchTimers(system: TimerHost): void {
  const nodeSet = system.setTimeout;
  const nodeClear = system.clearTimeout;
  if (!nodeSet || !nodeClear) throw new Error("tslab's TypeScript has no ts.sys.setTimeout: kernel timers cannot be wrapped");
  if (Object.getOwnPropertyDescriptor(system, "setTimeout")?.get) return;
  const timersOf = new WeakMap<object, ConverterTimers>();
  const ensure = (host: object): ConverterTimers => {
    let timers = timersOf.get(host);
    if (!timers) {
      timers = { set: nodeSet, clear: nodeClear, deferred: [] };
      timersOf.set(host, timers);
    }
    return timers;
  };

  Object.defineProperty(system, "setTimeout", {
    configurable: true,
    enumerable: true,
    get(this: object): SetTimer {
      const timers = timersOf.get(this);
      if (!timers || timers.set === nodeSet) return nodeSet;
      return (callback, ms, ...args) => scheduleOrDefer(timers, callback, ms, args);
    },
    set(this: object, value: SetTimer) {
      ensure(this).set = value;
    },
  });
  Object.defineProperty(system, "clearTimeout", {
    configurable: true,
    enumerable: true,
    get(this: object): ClearTimer {
      const timers = timersOf.get(this);
      if (!timers || timers.clear === nodeClear) return nodeClear;
      return (handle) => {
        const index = timers.deferred.findIndex((entry) => entry === handle);
        if (index >= 0) timers.deferred.splice(index, 1);
        else timers.clear(handle);
      };
    },
    set(this: object, value: ClearTimer) {
      ensure(this).clear = value;
    },
  });
}

function scheduleOrDefer(timers: ConverterTimers, callback: TimerCallback, ms: number | undefined, args: unknown[]): unknown {
  const run = (): void => callback(...args);
  let timer: unknown;
  try {
    timer = timers.set(run, ms);
  } catch (error) {
    if (!(error instanceof Error) || error.message !== PENDING_TIMER_MESSAGE) throw error;
    const deferred = { run };
    timers.deferred.push(deferred);
    return deferred;
  }
  if (isPendingTimer(timer)) {
    const runPending = timer.callback;
    timer.callback = () => {
      runPending();
      for (const deferred of timers.deferred.splice(0)) deferred.run();
    };
  }
  return timer;
}

function isPendingTimer(value: unknown): value is PendingTimer {
  return typeof value === "object" && value !== null && typeof (value as PendingTimer).callback === "function";
}
