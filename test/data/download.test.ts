import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { downloadUrl, fileChecksum } from "../../kernel-lib/data/download";
import { startLocalServer, type LocalServer } from "./local-server";

let server: LocalServer;
let workDir: string;
// Deterministic but non-trivial content, so a byte spliced at the wrong offset changes the checksum.
const payload = crypto.createHash("sha256").update("seed").digest();
const body = Buffer.concat(Array.from({ length: 4096 }, (_, i) => crypto.createHash("sha256").update(payload).update(String(i)).digest()));
const bodyMd5 = crypto.createHash("md5").update(body).digest("hex");
const bodySha256 = crypto.createHash("sha256").update(body).digest("hex");

before(async () => {
  server = await startLocalServer();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "download-test-"));
});

after(async () => {
  await server.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

function requestsFor(urlPath: string): { path: string; range: string | undefined }[] {
  return server.requests.filter((r) => r.path === urlPath);
}

test("fileChecksum matches node:crypto digests computed on the buffer", async () => {
  const file = path.join(workDir, "checksum.bin");
  fs.writeFileSync(file, body);
  assert.equal(await fileChecksum(file, "md5"), bodyMd5);
  assert.equal(await fileChecksum(file, "sha256"), bodySha256);
  await assert.rejects(fileChecksum(file, "sha1" as "md5"), /md5.*sha256/);
});

test("plain download writes the verified file and reports progress; a second call is a cache hit", async () => {
  server.routes.set("/plain.bin", { body });
  const destination = path.join(workDir, "sub", "plain.bin");
  const progress: number[] = [];
  const result = await downloadUrl(`${server.baseUrl}/plain.bin`, destination, {
    md5: bodyMd5,
    expectedBytes: body.length,
    onProgress: (p) => progress.push(p.receivedBytes),
  });
  assert.equal(result, destination);
  assert.ok(fs.readFileSync(destination).equals(body));
  assert.ok(!fs.existsSync(`${destination}.part`));
  assert.equal(progress[progress.length - 1], body.length);
  const before = requestsFor("/plain.bin").length;
  await downloadUrl(`${server.baseUrl}/plain.bin`, destination, { md5: bodyMd5 });
  assert.equal(requestsFor("/plain.bin").length, before, "a cache hit must not touch the network");
});

test("a dropped connection is resumed with a Range request and gives the exact bytes", async () => {
  server.routes.set("/flaky.bin", { body, dropAfterBytes: 50_000, dropTimes: 2 });
  const destination = path.join(workDir, "flaky.bin");
  await downloadUrl(`${server.baseUrl}/flaky.bin`, destination, { sha256: bodySha256, retryDelayMs: 5 });
  assert.ok(fs.readFileSync(destination).equals(body));
  const ranges = requestsFor("/flaky.bin").map((r) => r.range);
  assert.equal(ranges.length, 3);
  assert.equal(ranges[0], undefined);
  assert.equal(ranges[1], "bytes=50000-");
  assert.equal(ranges[2], "bytes=100000-");
});

test("an interrupted .part left by an earlier process is resumed, not restarted", async () => {
  server.routes.set("/leftover.bin", { body });
  const destination = path.join(workDir, "leftover.bin");
  fs.writeFileSync(`${destination}.part`, body.subarray(0, 1234));
  await downloadUrl(`${server.baseUrl}/leftover.bin`, destination, { md5: bodyMd5 });
  assert.ok(fs.readFileSync(destination).equals(body));
  assert.deepEqual(requestsFor("/leftover.bin").map((r) => r.range), ["bytes=1234-"]);
});

test("a server without Range support restarts from zero instead of appending", async () => {
  server.routes.set("/noranges.bin", { body, noRanges: true });
  const destination = path.join(workDir, "noranges.bin");
  fs.writeFileSync(`${destination}.part`, body.subarray(0, 999));
  await downloadUrl(`${server.baseUrl}/noranges.bin`, destination, { md5: bodyMd5 });
  assert.ok(fs.readFileSync(destination).equals(body));
});

test("redirects are followed (relative Location)", async () => {
  server.routes.set("/target.bin", { body });
  server.routes.set("/old-location", { redirectTo: "/target.bin" });
  const destination = path.join(workDir, "redirected.bin");
  await downloadUrl(`${server.baseUrl}/old-location`, destination, { md5: bodyMd5 });
  assert.ok(fs.readFileSync(destination).equals(body));
  server.routes.set("/loop", { redirectTo: "/loop" });
  await assert.rejects(downloadUrl(`${server.baseUrl}/loop`, path.join(workDir, "loop.bin"), { maxRedirects: 3 }), /more than 3 redirects/);
});

test("a checksum mismatch deletes the download and leaves no destination", async () => {
  const corrupt = Buffer.from(body);
  corrupt[777] ^= 0xff;
  server.routes.set("/corrupt.bin", { body: corrupt });
  const destination = path.join(workDir, "corrupt.bin");
  await assert.rejects(downloadUrl(`${server.baseUrl}/corrupt.bin`, destination, { md5: bodyMd5 }), (error: Error) => {
    assert.match(error.message, /corrupt \(md5 is [0-9a-f]{32}, expected/);
    assert.match(error.message, /corrupt\.bin/);
    return true;
  });
  assert.ok(!fs.existsSync(destination));
  assert.ok(!fs.existsSync(`${destination}.part`));
});

test("a damaged file already at the destination is replaced, not used", async () => {
  server.routes.set("/replace.bin", { body });
  const destination = path.join(workDir, "replace.bin");
  fs.writeFileSync(destination, body.subarray(0, 100));
  await downloadUrl(`${server.baseUrl}/replace.bin`, destination, { md5: bodyMd5 });
  assert.ok(fs.readFileSync(destination).equals(body));
});

test("a download that keeps getting truncated fails after the retries and is never renamed into place", async () => {
  server.routes.set("/truncated.bin", { body, dropAfterBytes: 10, dropTimes: 100 });
  const destination = path.join(workDir, "truncated.bin");
  await assert.rejects(downloadUrl(`${server.baseUrl}/truncated.bin`, destination, { retries: 2, retryDelayMs: 0 }), /after 3 attempts/);
  assert.ok(!fs.existsSync(destination));
  assert.equal(fs.statSync(`${destination}.part`).size, 30, "the verified-so-far prefix is kept for resuming");
});

test("a truncated download without a checksum is still caught by expectedBytes", async () => {
  server.routes.set("/short.bin", { body: body.subarray(0, 500) });
  const destination = path.join(workDir, "short.bin");
  await assert.rejects(downloadUrl(`${server.baseUrl}/short.bin`, destination, { expectedBytes: body.length, retries: 1, retryDelayMs: 0 }), /short\.bin/);
  assert.ok(!fs.existsSync(destination));
});

test("404 gives a clear error naming the URL and the destination", async () => {
  const destination = path.join(workDir, "missing.bin");
  await assert.rejects(downloadUrl(`${server.baseUrl}/missing.bin`, destination), (error: Error) => {
    assert.match(error.message, /HTTP 404 Not Found/);
    assert.ok(error.message.includes(`${server.baseUrl}/missing.bin`));
    assert.ok(error.message.includes(destination));
    return true;
  });
  assert.ok(!fs.existsSync(destination));
});

test("bad arguments are rejected before any request", async () => {
  await assert.rejects(downloadUrl("ftp://example.org/x", path.join(workDir, "x")), /only http and https/);
  await assert.rejects(downloadUrl("not a url", path.join(workDir, "x")), /not a valid URL/);
  await assert.rejects(downloadUrl(`${server.baseUrl}/plain.bin`, path.join(workDir, "x"), { md5: "abc" }), /md5 must be 32 hex/);
});
