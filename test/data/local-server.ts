/**
 * A tiny HTTP server on 127.0.0.1 for download tests: serves byte buffers with Range support and can
 * misbehave on purpose (drop the connection mid-body, redirect, lie about the length).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Route {
  body?: Buffer;
  /** Answer with a redirect to this path. */
  redirectTo?: string;
  /** Drop the connection after this many body bytes, for the first `dropTimes` requests. */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Ignore Range headers (a server without resume support). */
  noRanges?: boolean;
}

export interface LocalServer {
  baseUrl: string;
  routes: Map<string, Route>;
  /** Each request's path and Range header, to check what the client asked for. */
  requests: { path: string; range: string | undefined }[];
  close(): Promise<void>;
}

export async function startLocalServer(): Promise<LocalServer> {
  const routes = new Map<string, Route>();
  const requests: LocalServer["requests"] = [];
  const dropsDone = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const range = req.headers.range;
    requests.push({ path: urlPath, range });
    const route = routes.get(urlPath);
    if (!route) {
      res.writeHead(404, "Not Found").end("not found");
      return;
    }
    if (route.redirectTo !== undefined) {
      res.writeHead(302, { Location: route.redirectTo }).end();
      return;
    }
    const body = route.body ?? Buffer.alloc(0);
    let start = 0;
    const rangeMatch = /^bytes=(\d+)-$/.exec(range ?? "");
    if (rangeMatch && !route.noRanges) {
      start = Number(rangeMatch[1]);
      if (start >= body.length) {
        res.writeHead(416, { "Content-Range": `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "Content-Length": String(body.length - start),
        "Content-Range": `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      res.writeHead(200, { "Content-Length": String(body.length) });
    }
    const remaining = body.subarray(start);
    const drops = dropsDone.get(urlPath) ?? 0;
    if (route.dropAfterBytes !== undefined && drops < (route.dropTimes ?? 1)) {
      dropsDone.set(urlPath, drops + 1);
      res.write(remaining.subarray(0, route.dropAfterBytes), () => {
        // Destroying the socket right after a flush mimics a connection lost mid-transfer.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(remaining);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    routes,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
