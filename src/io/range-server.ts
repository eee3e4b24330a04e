import fs = require("node:fs");
import http = require("node:http");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";
import { Span, formatContentRange, parseRangeHeader } from "./http-ranges";

/**
 * `modbundle serve`: files over HTTP with byte ranges (RFC 9110), enough for remote bundles
 * (remote-source.ts) without any other web server. GET and HEAD; one range is a 206 with
 * Content-Range, several are one multipart/byteranges answer (in the order asked, not
 * coalesced); 416 when none is satisfiable. The ETag (size and modification time) and
 * Last-Modified are computed at each request, and If-Range is honoured, so a file replaced while
 * a client reads it gets the whole new file (200), which the client refuses.
 */
export interface ServedResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The ranges sent (none for a whole file or an error). */
  readonly ranges: readonly Span[];
  /** Bytes of the body as sent: file data plus multipart framing. */
  readonly bodyBytes: number;
}

export interface RangeServerOptions {
  readonly files: readonly string[];
  readonly port: number;
  readonly bind: string;
  /** Called once per answered request (benchmarks count requests and bytes with it). */
  readonly onResponse?: (response: ServedResponse) => void;
}

export interface RunningServer {
  readonly server: http.Server;
  /** One URL per file, in the order given. */
  readonly urls: readonly string[];
  close(): Promise<void>;
}

const MAX_RANGES = 1000;

function routes(files: readonly string[]): Map<string, string> {
  const table = new Map<string, string>();
  for (const file of files) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (error) {
      throw new ModbundleError("EIO", `${file}: ${describeSystemError(error)}`);
    }
    if (!stat.isFile()) throw new ModbundleError("EIO", `${file}: not a regular file`);
    const route = `/${encodeURIComponent(path.basename(file))}`;
    if (table.has(route)) throw new ModbundleError("EUSAGE", `${file}: another file is already served as ${route}`);
    table.set(route, path.resolve(file));
  }
  return table;
}

function etagOf(stat: fs.Stats): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}

/** Whether If-Range (an ETag or a date) still names the file as it is now. */
function ifRangeHolds(value: string | undefined, etag: string, lastModified: string): boolean {
  if (value === undefined) return true;
  return value.startsWith('"') || value.startsWith("W/") ? value === etag : value === lastModified;
}

function send(response: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body = ""): number {
  response.writeHead(status, { ...headers, "Content-Length": Buffer.byteLength(body) });
  response.end(body);
  return Buffer.byteLength(body);
}

/** Streams [start, end) of the open file into the response; resolves when written. */
function pipeSpan(fd: number, span: Span, response: http.ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    if (span.end <= span.start) return resolve();
    const stream = fs.createReadStream("", { fd, start: span.start, end: span.end - 1, autoClose: false });
    stream.on("error", reject);
    stream.on("end", resolve);
    stream.pipe(response, { end: false });
  });
}

async function answer(request: http.IncomingMessage, response: http.ServerResponse, file: string): Promise<{ status: number; ranges: Span[]; bodyBytes: number }> {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return { status: 404, ranges: [], bodyBytes: send(response, 404, { "Content-Type": "text/plain" }, "not found\n") };
  }
  try {
    const stat = fs.fstatSync(fd);
    const etag = etagOf(stat);
    const lastModified = stat.mtime.toUTCString();
    const common = { "Accept-Ranges": "bytes", ETag: etag, "Last-Modified": lastModified };
    const rangeHeader = request.headers.range;
    const ifRange = Array.isArray(request.headers["if-range"]) ? request.headers["if-range"][0] : request.headers["if-range"];
    const parsed = rangeHeader !== undefined && ifRangeHolds(ifRange, etag, lastModified) ? parseRangeHeader(rangeHeader, stat.size) : undefined;
    const head = request.method === "HEAD";
    if (parsed === "unsatisfiable") {
      return { status: 416, ranges: [], bodyBytes: send(response, 416, { ...common, "Content-Range": `bytes */${stat.size}` }) };
    }
    const spans = parsed && parsed.length <= MAX_RANGES ? parsed : undefined;
    if (!spans) {
      response.writeHead(200, { ...common, "Content-Type": "application/octet-stream", "Content-Length": stat.size });
      if (!head) await pipeSpan(fd, { start: 0, end: stat.size }, response);
      response.end();
      return { status: 200, ranges: [], bodyBytes: head ? 0 : stat.size };
    }
    if (spans.length === 1) {
      const [span] = spans;
      response.writeHead(206, { ...common, "Content-Type": "application/octet-stream", "Content-Range": formatContentRange(span, stat.size), "Content-Length": span.end - span.start });
      if (!head) await pipeSpan(fd, span, response);
      response.end();
      return { status: 206, ranges: spans, bodyBytes: head ? 0 : span.end - span.start };
    }
    const boundary = `modbundle-${stat.size.toString(36)}-${Date.now().toString(36)}`;
    const partHead = (span: Span): string => `\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: ${formatContentRange(span, stat.size)}\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const length = spans.reduce((sum, span) => sum + Buffer.byteLength(partHead(span)) + span.end - span.start, Buffer.byteLength(tail));
    response.writeHead(206, { ...common, "Content-Type": `multipart/byteranges; boundary=${boundary}`, "Content-Length": length });
    if (!head) {
      for (const span of spans) {
        response.write(partHead(span), "latin1");
        await pipeSpan(fd, span, response);
      }
      response.write(tail, "latin1");
    }
    response.end();
    return { status: 206, ranges: spans, bodyBytes: head ? 0 : length };
  } finally {
    fs.closeSync(fd);
  }
}

export function startRangeServer(options: RangeServerOptions): Promise<RunningServer> {
  const table = routes(options.files);
  const server = http.createServer((request, response) => {
    const route = (request.url ?? "/").split("?")[0];
    const method = request.method ?? "GET";
    const report = (status: number, ranges: Span[], bodyBytes: number): void => options.onResponse?.({ method, path: route, status, ranges, bodyBytes });
    if (method !== "GET" && method !== "HEAD") {
      report(405, [], send(response, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }, "method not allowed\n"));
      return;
    }
    const file = table.get(route);
    if (file === undefined) {
      report(404, [], send(response, 404, { "Content-Type": "text/plain" }, "not found\n"));
      return;
    }
    answer(request, response, file).then(
      (result) => report(result.status, result.ranges, result.bodyBytes),
      () => response.destroy(),
    );
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(new ModbundleError("EIO", `cannot listen on ${options.bind}:${options.port}: ${describeSystemError(error)}`)));
    server.listen(options.port, options.bind, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      const host = options.bind.includes(":") ? `[${options.bind}]` : options.bind;
      resolve({
        server,
        urls: [...table.keys()].map((route) => `http://${host}:${port}${route}`),
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
