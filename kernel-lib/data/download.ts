/**
 * Resumable, verified downloads, the analogue of torchvision's `download_url`.
 *
 * Bytes go to `<destination>.part`; the file appears under its real name only after its size and
 * checksum have been verified (an atomic rename), so an interrupted or corrupt download can never be
 * mistaken for a complete one. A dropped connection resumes with an HTTP Range request.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";

export type ChecksumAlgorithm = "md5" | "sha256";

export interface DownloadProgress {
  receivedBytes: number;
  /** Unknown when the server sends no Content-Length and no expectedBytes was given. */
  totalBytes: number | undefined;
}

export interface DownloadOptions {
  md5?: string;
  sha256?: string;
  expectedBytes?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /** How many times a dropped connection is resumed before giving up (default 5). */
  retries?: number;
  maxRedirects?: number;
  /** A connection silent for this long counts as dropped (default 60 s). */
  idleTimeoutMs?: number;
  /** Wait before retry n is n times this (default 1000 ms), so a briefly unreachable server can recover. */
  retryDelayMs?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Hex digest of a file, streamed so large archives do not sit in memory. */
export async function fileChecksum(filePath: string, algorithm: ChecksumAlgorithm): Promise<string> {
  if (algorithm !== "md5" && algorithm !== "sha256") {
    throw new Error(`fileChecksum: algorithm must be "md5" or "sha256", got ${JSON.stringify(algorithm)}`);
  }
  const hash = crypto.createHash(algorithm);
  await pipeline(fs.createReadStream(filePath), hash);
  return hash.digest("hex");
}

interface ExpectedContent {
  md5?: string;
  sha256?: string;
  expectedBytes?: number;
}

/** Describes why a file does not match, or returns null when it does. */
async function verificationProblem(filePath: string, expected: ExpectedContent): Promise<string | null> {
  const size = (await fs.promises.stat(filePath)).size;
  if (expected.expectedBytes !== undefined && size !== expected.expectedBytes) {
    return `size is ${size} bytes, expected ${expected.expectedBytes}`;
  }
  for (const algorithm of ["md5", "sha256"] as const) {
    const want = expected[algorithm];
    if (want === undefined) continue;
    const got = await fileChecksum(filePath, algorithm);
    // A prefix is accepted for sha256 because torchvision publishes only its first 8 hex digits in file names.
    const matches = algorithm === "sha256" ? got.startsWith(want.toLowerCase()) : got === want.toLowerCase();
    if (!matches) return `${algorithm} is ${got}, expected ${want}`;
  }
  return null;
}

async function fileSize(filePath: string): Promise<number> {
  try {
    return (await fs.promises.stat(filePath)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

async function removeIfPresent(filePath: string): Promise<void> {
  await fs.promises.rm(filePath, { force: true });
}

function validateOptions(url: string, destination: string, options: DownloadOptions): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`downloadUrl: ${JSON.stringify(url)} is not a valid URL; pass an absolute http(s) URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`downloadUrl: only http and https URLs are supported, got ${parsed.protocol} in ${url}`);
  }
  if (typeof destination !== "string" || destination.length === 0) {
    throw new Error("downloadUrl: destination must be a non-empty file path");
  }
  if (options.md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(options.md5)) {
    throw new Error(`downloadUrl: md5 must be 32 hex digits, got ${JSON.stringify(options.md5)}`);
  }
  if (options.sha256 !== undefined && !/^[0-9a-fA-F]{8,64}$/.test(options.sha256)) {
    throw new Error(`downloadUrl: sha256 must be 8 to 64 hex digits, got ${JSON.stringify(options.sha256)}`);
  }
  if (options.expectedBytes !== undefined && !(Number.isInteger(options.expectedBytes) && options.expectedBytes >= 0)) {
    throw new Error(`downloadUrl: expectedBytes must be a non-negative integer, got ${options.expectedBytes}`);
  }
}

/** An HTTP answer that is final: retrying would not help. */
class PermanentDownloadError extends Error {}

interface OpenedResponse {
  response: http.IncomingMessage;
  finalUrl: string;
}

function requestOnce(url: string, headers: Record<string, string>, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith("https:") ? https : http;
    const request = client.get(url, { headers }, resolve);
    request.setTimeout(idleTimeoutMs, () => {
      request.destroy(new Error(`no data from ${url} for ${idleTimeoutMs} ms`));
    });
    request.on("error", reject);
  });
}

async function openFollowingRedirects(
  url: string,
  headers: Record<string, string>,
  maxRedirects: number,
  idleTimeoutMs: number,
): Promise<OpenedResponse> {
  let current = url;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const response = await requestOnce(current, headers, idleTimeoutMs);
    const status = response.statusCode ?? 0;
    if (!REDIRECT_STATUSES.has(status)) return { response, finalUrl: current };
    response.resume();
    const location = response.headers.location;
    if (!location) throw new PermanentDownloadError(`downloadUrl: ${current} answered HTTP ${status} without a Location header`);
    current = new URL(location, current).toString();
  }
  throw new PermanentDownloadError(`downloadUrl: more than ${maxRedirects} redirects starting at ${url}; check the URL`);
}

/** Total size announced by a 200 (Content-Length) or a 206 (Content-Range ".../total"). */
function announcedTotal(response: http.IncomingMessage, alreadyHave: number): number | undefined {
  if (response.statusCode === 206) {
    const match = /\/(\d+)\s*$/.exec(response.headers["content-range"] ?? "");
    if (match) return Number(match[1]);
    const length = Number(response.headers["content-length"]);
    return Number.isFinite(length) ? alreadyHave + length : undefined;
  }
  const length = Number(response.headers["content-length"]);
  return response.headers["content-length"] !== undefined && Number.isFinite(length) ? length : undefined;
}

/**
 * Downloads `url` to `destination` and returns `destination`. An existing destination that passes the
 * checks (md5/sha256/expectedBytes; mere existence when none are given) is a cache hit: no network.
 * Throws, leaving no file under `destination`, when the bytes cannot be verified.
 */
export async function downloadUrl(url: string, destination: string, options: DownloadOptions = {}): Promise<string> {
  validateOptions(url, destination, options);
  const retries = options.retries ?? 5;
  const maxRedirects = options.maxRedirects ?? 10;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const expected: ExpectedContent = { md5: options.md5, sha256: options.sha256, expectedBytes: options.expectedBytes };

  if (fs.existsSync(destination)) {
    const problem = await verificationProblem(destination, expected);
    if (problem === null) return destination;
    // A stale or damaged copy is replaced, never used; the atomic rename below overwrites it.
  }
  await fs.promises.mkdir(path.dirname(path.resolve(destination)), { recursive: true });
  const partPath = `${destination}.part`;

  let totalBytes = options.expectedBytes;
  let lastFailure: Error | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0 && retryDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
    let have = await fileSize(partPath);
    if (totalBytes !== undefined && have > totalBytes) {
      await removeIfPresent(partPath);
      have = 0;
    }
    if (totalBytes !== undefined && have === totalBytes) {
      lastFailure = null;
      break;
    }
    const headers: Record<string, string> = { "User-Agent": "ts-resnet-lab" };
    if (have > 0) headers.Range = `bytes=${have}-`;
    let opened: OpenedResponse;
    try {
      opened = await openFollowingRedirects(url, headers, maxRedirects, idleTimeoutMs);
    } catch (error) {
      if (error instanceof PermanentDownloadError) throw error;
      lastFailure = error as Error;
      continue;
    }
    const { response, finalUrl } = opened;
    const status = response.statusCode ?? 0;
    if (status === 416 && have > 0) {
      // The server has nothing past what we hold: either the part is complete or it is junk; verify below.
      response.resume();
      lastFailure = null;
      break;
    }
    if (status !== 200 && status !== 206) {
      response.resume();
      const reason = `${status} ${response.statusMessage ?? ""}`.trim();
      const hint = status === 404 ? "check the URL, or download the file by hand and place it at" : "try again later, or download the file by hand and place it at";
      const error = new Error(`downloadUrl: GET ${finalUrl} answered HTTP ${reason}; ${hint} ${destination}`);
      if (status >= 500 || status === 429) {
        lastFailure = error;
        continue;
      }
      throw error;
    }
    const resuming = status === 206;
    if (resuming) {
      const start = /bytes\s+(\d+)-/.exec(response.headers["content-range"] ?? "");
      if (!start || Number(start[1]) !== have) {
        // A range we did not ask for: start over rather than splice bytes at the wrong offset.
        response.resume();
        await removeIfPresent(partPath);
        lastFailure = new Error(`downloadUrl: ${finalUrl} answered an unexpected Content-Range ${response.headers["content-range"]}`);
        continue;
      }
    } else {
      have = 0;
    }
    totalBytes = options.expectedBytes ?? announcedTotal(response, have);
    let received = have;
    const onProgress = options.onProgress;
    response.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (onProgress) onProgress({ receivedBytes: received, totalBytes });
    });
    try {
      await pipeline(response, fs.createWriteStream(partPath, { flags: resuming ? "a" : "w" }));
    } catch (error) {
      lastFailure = error as Error;
      continue;
    }
    const announced = announcedTotal(response, have);
    if (announced !== undefined && received < announced) {
      lastFailure = new Error(`connection closed after ${received} of ${announced} bytes`);
      continue;
    }
    lastFailure = null;
    break;
  }

  if (lastFailure !== null) {
    throw new Error(
      `downloadUrl: could not download ${url} after ${retries + 1} attempts (${lastFailure.message}); ` +
        `the partial file ${partPath} is kept so the next call resumes it`,
    );
  }
  const problem = await verificationProblem(partPath, expected);
  if (problem !== null) {
    await removeIfPresent(partPath);
    throw new Error(
      `downloadUrl: the file downloaded from ${url} is corrupt (${problem}); it was deleted. ` +
        `Run again to re-download, or check that the URL and checksum belong together`,
    );
  }
  await fs.promises.rename(partPath, destination);
  return destination;
}
