/**
 * One outgoing queue per ZeroMQ socket of the kernel, so a send never throws and messages keep their order.
 *
 * zeromq.js 6 (tslab's ZeroMQ) allows one send in flight per socket: when the peer reads slower than the
 * kernel writes and the socket's queue is full, `send` returns a pending promise and every further `send`
 * THROWS "Socket is busy writing" until that promise settles. tslab sends without awaiting, so a training
 * loop that updates its progress display on every step could throw out of the user's code (an error in
 * the middle of a run), and the error message that followed threw again, so the cell never got its reply
 * and the notebook runner waited forever.
 *
 * Here every send goes through a FIFO drained one message at a time. A progress display updated faster
 * than the client reads needs only its latest state: an `update_display_data` still waiting in the queue is
 * replaced by a newer one for the same display id, so a flood of updates cannot grow the queue.
 */

/** What a message is made of on the wire: identities, delimiter, signature, then JSON frames. */
export type Frames = Array<string | Buffer>;

/** The part of a zeromq.js socket this needs. */
export interface SendingSocket {
  send(frames: Frames): Promise<void>;
}

const DELIMITER = "<IDS|MSG>";

/** The display id of an `update_display_data` message, or undefined for any other message. */
export function updatedDisplayId(frames: Frames): string | undefined {
  const delimiter = frames.findIndex((frame) => frame.toString() === DELIMITER);
  if (delimiter < 0 || frames.length < delimiter + 6) return undefined;
  const header = frames[delimiter + 2].toString();
  if (!header.includes('"update_display_data"')) return undefined;
  try {
    if ((JSON.parse(header) as { msg_type?: string }).msg_type !== "update_display_data") return undefined;
    const content = JSON.parse(frames[delimiter + 5].toString()) as { transient?: { display_id?: unknown } };
    const id = content.transient?.display_id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface SendQueue {
  /** Messages waiting (not yet handed to ZeroMQ). */
  readonly waiting: number;
  /** Messages given up on: the socket closed, or its reader stopped reading for a minute. */
  readonly failed: number;
  /** Resolves when everything queued so far has been handed over. */
  drained(): Promise<void>;
}

/** How long a message may wait for a reader that has stopped reading before it is given up. */
const GIVE_UP_AFTER_MS = 60_000;

/**
 * Hands `frames` to ZeroMQ, retrying while the peer's queue is full: a publisher with `noDrop` answers a
 * full queue with EAGAIN ("Operation was not possible or timed out") instead of waiting. False when the
 * socket is closed or the reader stayed away for a minute.
 */
async function sendPatiently(send: (frames: Frames) => Promise<void>, frames: Frames): Promise<boolean> {
  const started = Date.now();
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      await send(frames);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN" || Date.now() - started > GIVE_UP_AFTER_MS) return false;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * `socket` as seen through a queue: a proxy whose `send` queues (see above) and whose other members are the
 * socket's own. zeromq.js sockets are sealed, so the send cannot be replaced on the socket itself. Sends
 * resolve when the message is handed to ZeroMQ, or is superseded by a newer update of the same display.
 */
export function withQueuedSends<S extends SendingSocket>(socket: S): { socket: S; queue: SendQueue } {
  const send = socket.send.bind(socket);
  const queue: { frames: Frames; displayId: string | undefined; done: () => void }[] = [];
  let sending = false;
  let failed = 0;
  let idle: (() => void)[] = [];

  const drain = async (): Promise<void> => {
    sending = true;
    while (queue.length > 0) {
      const next = queue.shift() as (typeof queue)[number];
      if (!(await sendPatiently(send, next.frames))) failed++;
      next.done();
    }
    sending = false;
    const waiters = idle;
    idle = [];
    for (const resolve of waiters) resolve();
  };

  const queuedSend = (frames: Frames): Promise<void> =>
    new Promise<void>((done) => {
      const displayId = updatedDisplayId(frames);
      const superseded = displayId === undefined ? -1 : queue.findIndex((waiting) => waiting.displayId === displayId);
      if (superseded >= 0) {
        queue[superseded].done();
        queue[superseded] = { frames, displayId, done };
      } else {
        queue.push({ frames, displayId, done });
      }
      if (!sending) void drain();
    });

  const proxy = new Proxy(socket, {
    get(target, key) {
      if (key === "send") return queuedSend;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const state: SendQueue = {
    get waiting() {
      return queue.length;
    },
    get failed() {
      return failed;
    },
    drained: () => (sending || queue.length > 0 ? new Promise<void>((resolve) => idle.push(resolve)) : Promise.resolve()),
  };
  return { socket: proxy, queue: state };
}
