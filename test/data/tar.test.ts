import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { extractTar } from "../../kernel-lib/data/tar";
import { tarHeader } from "./tar-fixtures";

let work: string;

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "tar-test-"));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

function handMadeArchive(entries: { name: string; body?: string; type?: string; link?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? "");
    parts.push(tarHeader(entry.name, body.length, entry.type ?? "0", entry.link ?? ""));
    parts.push(body, Buffer.alloc(Math.ceil(body.length / 512) * 512 - body.length));
  }
  parts.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(parts));
}

function makeTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const longDir = "a-very-long-folder-name-that-pushes-the-path-well-past-one-hundred-characters-so-tar-needs-extensions";
  const entries: [string, Buffer][] = [
    ["data/readme.txt", Buffer.from("hello")],
    ["data/empty.bin", Buffer.alloc(0)],
    ["data/block.bin", Buffer.alloc(512, 7)],
    ["data/big.bin", Buffer.from(Array.from({ length: 300_001 }, (_, i) => (i * 31) & 255))],
    [`data/${longDir}/${longDir}.txt`, Buffer.from("long name")],
    ["data/with space/ä.txt", Buffer.from("unicode")],
  ];
  for (const [name, body] of entries) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), body);
    files.set(name, body);
  }
  return files;
}

for (const format of ["gnu", "pax", "ustar-short"]) {
  test(`extracts what GNU tar wrote (${format} format), byte for byte`, async () => {
    const source = path.join(work, `src-${format}`);
    const files = makeTree(source);
    if (format === "ustar-short") {
      // ustar cannot store the long names; keep the short ones.
      for (const name of [...files.keys()]) if (name.length > 90) files.delete(name);
    }
    const archive = path.join(work, `${format}.tar.gz`);
    const tarFormat = format === "ustar-short" ? "ustar" : format;
    execFileSync("tar", ["-czf", archive, `--format=${tarFormat}`, "-C", source, ...(format === "ustar-short" ? [...files.keys()] : ["data"])]);
    const destination = path.join(work, `out-${format}`);
    const seen: string[] = [];
    const top = await extractTar(archive, destination, { onEntry: (p) => seen.push(p) });
    assert.deepEqual(top, ["data"]);
    for (const [name, body] of files) {
      assert.ok(fs.readFileSync(path.join(destination, name)).equals(body), `${name} differs`);
    }
    assert.equal(seen.length, files.size);
    assert.deepEqual(fs.readdirSync(destination), ["data"], "no staging folder left behind");
  });
}

test("uncompressed .tar works too", async () => {
  const source = path.join(work, "src-plain");
  const files = makeTree(source);
  const archive = path.join(work, "plain.tar");
  execFileSync("tar", ["-cf", archive, "-C", source, "data"]);
  await extractTar(archive, path.join(work, "out-plain"));
  assert.ok(fs.readFileSync(path.join(work, "out-plain", "data/big.bin")).equals(files.get("data/big.bin")!));
});

test("entries escaping the destination, absolute paths and links are refused; nothing is written", async () => {
  const cases: [string, Parameters<typeof handMadeArchive>[0], RegExp][] = [
    ["dotdot", [{ name: "ok/file.txt", body: "fine" }, { name: "ok/../../evil.txt", body: "evil" }], /escapes the destination/],
    ["absolute", [{ name: "/tmp/evil-absolute.txt", body: "evil" }], /absolute path/],
    ["symlink", [{ name: "ok/link", type: "2", link: "/etc/passwd" }], /link "ok\/link"/],
    ["hardlink", [{ name: "ok/hard", type: "1", link: "../../x" }], /link "ok\/hard"/],
  ];
  for (const [label, entries, pattern] of cases) {
    const archive = path.join(work, `${label}.tar.gz`);
    fs.writeFileSync(archive, handMadeArchive(entries));
    const destination = path.join(work, "jail", label);
    await assert.rejects(extractTar(archive, destination), pattern);
    assert.deepEqual(fs.readdirSync(destination), [], `${label}: destination stays empty`);
    assert.ok(!fs.existsSync(path.join(work, "jail", "evil.txt")));
  }
  assert.ok(!fs.existsSync("/tmp/evil-absolute.txt"));
});

test("truncated and non-tar archives fail with the archive named and the fix", async () => {
  const good = handMadeArchive([{ name: "x/data.bin", body: "y".repeat(5000) }]);
  const raw = zlib.gunzipSync(good);
  const truncated = path.join(work, "truncated.tar.gz");
  fs.writeFileSync(truncated, zlib.gzipSync(raw.subarray(0, 2000)));
  await assert.rejects(extractTar(truncated, path.join(work, "t1")), /truncated\.tar\.gz.*ends in the middle of x\/data\.bin.*download it again/);
  const notTar = path.join(work, "text.tar.gz");
  fs.writeFileSync(notTar, zlib.gzipSync(Buffer.from("just some text that is not a tar archive".repeat(20))));
  await assert.rejects(extractTar(notTar, path.join(work, "t2")), /checksum is wrong/);
  const badGzip = path.join(work, "bad.tar.gz");
  fs.writeFileSync(badGzip, Buffer.concat([good.subarray(0, 20), Buffer.alloc(200, 1)]));
  await assert.rejects(extractTar(badGzip, path.join(work, "t3")), /cannot extract .*bad\.tar\.gz/);
  assert.deepEqual(fs.readdirSync(path.join(work, "t1")), []);
});
