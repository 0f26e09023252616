/**
 * How many threads libuv's pool has, where the JPEG decoders (and sharp) run: UV_THREADPOOL_SIZE when it was
 * set before Node started (the notebook kernel's launcher sets one per core), else libuv's 4; libuv caps it
 * at 1024. `setting` is that variable's value (undefined: unset).
 */
export function decodeThreadCount(setting: string | undefined): number {
  const threads = Number(setting);
  return Number.isInteger(threads) && threads > 0 ? Math.min(threads, 1024) : 4;
}
