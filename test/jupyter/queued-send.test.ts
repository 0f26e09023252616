// The kernel's sends never throw, keep their order, and a flood of progress updates collapses to the latest:
// zeromq.js allows one send in flight and throws "Socket is busy writing" on the next one, which used to
// surface in the middle of a training loop and leave the notebook runner waiting for a reply forever.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { updatedDisplayId, withQueuedSends, type Frames } from "../../jupyter/queued-send";

/** Like a zeromq.js socket whose peer is slow: one send in flight, a second one throws. */
class BusySocket {
  delivered: string[] = [];
  private inFlight = false;
  private release: (() => void) | undefined;
  send(frames: Frames): Promise<void> {
    if (this.inFlight) throw new Error("Socket is busy writing; only one send operation may be in progress at any time");
    this.inFlight = true;
    return new Promise<void>((resolve) => {
      this.release = () => {
        this.inFlight = false;
        this.delivered.push(describe(frames));
        resolve();
      };
    });
  }
  /** The peer reads one message. */
  readOne(): boolean {
    const release = this.release;
    this.release = undefined;
    release?.();
    return release !== undefined;
  }
}

function message(type: string, content: object): Frames {
  return ["identity", "<IDS|MSG>", "signature", JSON.stringify({ msg_type: type }), "{}", "{}", JSON.stringify(content)];
}

function describe(frames: Frames): string {
  const header = JSON.parse(frames[3].toString()) as { msg_type: string };
  const content = JSON.parse(frames[6].toString()) as { text?: string; data?: { "text/plain": string } };
  return `${header.msg_type}:${content.text ?? content.data?.["text/plain"]}`;
}

async function readAll(socket: BusySocket): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!socket.readOne()) return;
  }
}

test("updatedDisplayId finds the display id of update_display_data only", () => {
  assert.equal(updatedDisplayId(message("update_display_data", { data: {}, transient: { display_id: "d1" } })), "d1");
  assert.equal(updatedDisplayId(message("display_data", { data: {}, transient: { display_id: "d1" } })), undefined);
  assert.equal(updatedDisplayId(message("stream", { name: "stdout", text: "update_display_data" })), undefined);
  assert.equal(updatedDisplayId(["no delimiter"]), undefined);
});

test("sends behind a busy socket are queued in order instead of throwing", async () => {
  const busy = new BusySocket();
  const { socket, queue } = withQueuedSends(busy);
  assert.throws(() => { void busy.send(message("stream", { text: "direct" })); busy.send(message("stream", { text: "again" })); }, /busy writing/);
  busy.readOne();
  const sent = ["a", "b", "c", "d"].map((text) => socket.send(message("stream", { text })));
  assert.equal(queue.waiting, 3, "one handed to the socket, three waiting");
  await readAll(busy);
  await Promise.all(sent);
  await queue.drained();
  assert.deepEqual(busy.delivered, ["stream:direct", "stream:a", "stream:b", "stream:c", "stream:d"]);
});

test("a waiting update of a display is replaced by a newer one; other messages all go out", async () => {
  const busy = new BusySocket();
  const { socket, queue } = withQueuedSends(busy);
  const update = (id: string, text: string): Frames => message("update_display_data", { data: { "text/plain": text }, transient: { display_id: id } });
  const sends = [
    socket.send(message("stream", { text: "first" })), // in flight
    socket.send(update("progress", "step 1")),
    socket.send(message("stream", { text: "log" })),
    socket.send(update("other", "other 1")),
    ...Array.from({ length: 500 }, (_, step) => socket.send(update("progress", `step ${step + 2}`))),
  ];
  assert.equal(queue.waiting, 3, "500 updates of one display occupy one place in the queue");
  await readAll(busy);
  await Promise.all(sends); // superseded updates resolve too
  assert.deepEqual(busy.delivered, ["stream:first", "update_display_data:step 501", "stream:log", "update_display_data:other 1"]);
  assert.equal(queue.failed, 0);
});

test("a kernel flooding its progress display and stdout finishes the cell and runs the next (nbclient)", () => {
  const repo = resolve(__dirname, "../..");
  const outDir = mkdtempSync(join(tmpdir(), "kernel-flood-"));
  try {
    execFileSync("/usr/bin/python3", ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", join(__dirname, "fixtures", "display-flood.ipynb"), "--output-dir", outDir],
      { cwd: repo, env: { ...process.env, JUPYTER_PATH: join(repo, "jupyter") }, stdio: "pipe", timeout: 120_000 });
    const cells = (JSON.parse(readFileSync(join(outDir, "display-flood.ipynb"), "utf8")) as { cells: { outputs: { output_type: string; text?: string | string[]; data?: Record<string, string | string[]> }[] }[] }).cells;
    const text = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join("") : value ?? "");
    const flood = cells[1].outputs;
    const display = flood.find((output) => output.output_type === "display_data");
    assert.equal(text(display?.data?.["text/plain"]), "step 3000/3000", "the display shows the last update");
    const printed = flood.filter((output) => output.output_type === "stream").map((output) => text(output.text)).join("");
    assert.equal(printed.split("\n").filter((line) => line.startsWith("log line")).length, 1500, "no stdout line is lost");
    assert.equal(text(flood.find((output) => output.output_type === "execute_result")?.data?.["text/plain"]), "'loop finished'");
    assert.equal(text(cells[2].outputs[0]?.data?.["text/plain"]), "'next cell ran'");
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("a full publisher queue (EAGAIN with noDrop) is retried; a closed socket's message is given up and counted", async () => {
  const attempts: string[] = [];
  let refusals = 2;
  const flaky = {
    send(frames: Frames): Promise<void> {
      const what = describe(frames);
      attempts.push(what);
      if (what === "stream:closed") return Promise.reject(Object.assign(new Error("Socket is closed"), { code: "EBADF" }));
      if (refusals-- > 0) return Promise.reject(Object.assign(new Error("Operation was not possible or timed out"), { code: "EAGAIN" }));
      return Promise.resolve();
    },
  };
  const { socket, queue } = withQueuedSends(flaky);
  await Promise.all([socket.send(message("stream", { text: "retried" })), socket.send(message("stream", { text: "closed" })), socket.send(message("stream", { text: "after" }))]);
  assert.deepEqual(attempts, ["stream:retried", "stream:retried", "stream:retried", "stream:closed", "stream:after"]);
  assert.equal(queue.failed, 1);
});
