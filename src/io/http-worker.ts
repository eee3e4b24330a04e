import http = require("node:http");
import https = require("node:https");
import { MessagePort, workerData } from "node:worker_threads";
import { BodyPart, Span, formatRangeHeader, multipartBoundary, parseContentRange, parseMultipartByteranges } from "./http-ranges";

/**
 * The HTTP half of RemoteSource (remote-source.ts), run in a worker thread so that the bundle
 * reader can stay synchronous: the main thread posts the spans it needs and sleeps on
 * Atomics.wait; this worker fetches them with Range requests and wakes it. Everything that can
 * go wrong on the way ends here as one reason, returned as an answer, never thrown across.
 *
 * Rules (RFC 9110): every request after the first carries If-Range with the validator the first
 * answer gave (a strong ETag, else Last-Modified), and every answer's size and ETag are compared
 * with the first, so a file replaced on the server mid-run is refused, never mixed. A 200 to a
 * Range request is abandoned at once (it would be the whole file). Redirects are followed (at
 * most MAX_REDIRECTS, the last location kept); timeouts, resets, truncated bodies and 408/429/5xx
 * are retried a bounded number of times. Proxies from the environment are not used.
 */
export interface WorkerSetup {
  readonly url: string;
  /** [0]: 1 when an answer is posted; [1]: bumped whenever bytes arrive (liveness). */
  readonly signal: Int32Array;
  readonly port: MessagePort;
  readonly timeoutMs: number;
  readonly attempts: number;
}

export interface FetchRequest {
  /** The first request: learn the size and validators while reading these spans. */
  readonly first: boolean;
  readonly spans: readonly Span[];
}

export type FetchAnswer =
  | { readonly ok: true; readonly size: number; readonly parts: ReadonlyArray<{ readonly start: number; readonly data: Uint8Array }> }
  | { readonly ok: false; readonly message: string };

const MAX_REDIRECTS = 5;
const RETRY_DELAY_MS = 250;
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH"]);

/** Ends the whole fetch: not worth retrying. */
class Fatal extends Error {}
/** Worth another attempt (the same request again). */
class Transient extends Error {}
/** The server answered a multi-range request with something else: ask for the spans one by one. */
class NoMultiRange extends Error {}

interface Validators {
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

const setup = workerData as WorkerSetup;
let location = new URL(setup.url);
let validators: Validators | undefined;
let singleRangeOnly = false;
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 1 }), https: new https.Agent({ keepAlive: true, maxSockets: 1 }) };

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requestHeaders(spans: readonly Span[]): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { Range: formatRangeHeader(spans), "Accept-Encoding": "identity", "User-Agent": "modbundle" };
  if (validators?.etag !== undefined && !validators.etag.startsWith("W/")) headers["If-Range"] = validators.etag;
  else if (validators?.lastModified !== undefined) headers["If-Range"] = validators.lastModified;
  return headers;
}

/** Compares an answer's validators with the first answer's: a difference means a new file. */
function checkSameFile(response: http.IncomingMessage, size: number | undefined): void {
  if (!validators) return;
  const etag = header(response, "etag");
  const lastModified = header(response, "last-modified");
  if (size !== undefined && size !== validators.size) throw new Fatal(`the file changed on the server during this run (${validators.size} bytes, now ${size})`);
  if (etag !== undefined && validators.etag !== undefined && etag !== validators.etag) {
    throw new Fatal(`the file changed on the server during this run (ETag ${validators.etag}, now ${etag})`);
  }
  if (lastModified !== undefined && validators.lastModified !== undefined && lastModified !== validators.lastModified) {
    throw new Fatal(`the file changed on the server during this run (Last-Modified ${validators.lastModified}, now ${lastModified})`);
  }
}

/** The body, at most `limit` bytes (more is an error: the answer is not what was asked). */
function readBody(response: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    response.on("data", (chunk: Buffer) => {
      Atomics.add(setup.signal, 1, 1);
      length += chunk.length;
      if (length > limit) {
        response.destroy();
        reject(new Fatal(`the server sent more than the ${limit} bytes asked for`));
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => resolve(Buffer.concat(chunks, length)));
    response.on("error", (error) => reject(new Transient(`the connection broke after ${length} bytes (${error.message})`)));
    response.on("aborted", () => reject(new Transient(`the connection broke after ${length} bytes`)));
  });
}

function send(url: URL, headers: http.OutgoingHttpHeaders): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === "https:";
    const request = (secure ? https : http).get(url, { headers, agent: secure ? agents.https : agents.http }, resolve);
    request.setTimeout(setup.timeoutMs, () => request.destroy(new Transient(`no answer for ${setup.timeoutMs / 1000} s`)));
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (error instanceof Transient || error instanceof Fatal) reject(error);
      else if (error.code !== undefined && TRANSIENT_CODES.has(error.code)) reject(new Transient(error.message));
      else reject(new Fatal(error.message));
    });
  });
}

/** One exchange for `spans` (redirects followed): the parts the server sent, checked. */
async function exchange(spans: readonly Span[], first: boolean): Promise<BodyPart[]> {
  let url = location;
  for (let redirects = 0; ; redirects++) {
    const response = await send(url, requestHeaders(spans));
    const status = response.statusCode ?? 0;
    const where = header(response, "location");
    if (status >= 300 && status < 400 && where !== undefined) {
      response.resume();
      if (redirects === MAX_REDIRECTS) throw new Fatal(`more than ${MAX_REDIRECTS} redirects`);
      url = new URL(where, url);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Fatal(`redirected to ${url.protocol} URL ${url.href}`);
      continue;
    }
    location = url;
    if (status === 206) return await partial(response, spans, first);
    response.destroy();
    if (status === 200) {
      if (!first && spans.length > 1) {
        checkSameFile(response, Number(header(response, "content-length") ?? NaN) || undefined);
        throw new NoMultiRange();
      }
      if (!first) checkSameFile(response, Number(header(response, "content-length") ?? NaN) || undefined);
      throw new Fatal("the server does not support range requests (it answered a Range request with the whole file)");
    }
    if (status === 416) {
      throw new Fatal(validators ? `range not satisfiable: the file on the server is no longer the ${validators.size} bytes first seen` : "range not satisfiable (an empty file?)");
    }
    const reason = `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ""}`;
    throw TRANSIENT_STATUS.has(status) ? new Transient(reason) : new Fatal(reason);
  }
}

async function partial(response: http.IncomingMessage, spans: readonly Span[], first: boolean): Promise<BodyPart[]> {
  const asked = spans.reduce((sum, s) => sum + (s.end - s.start), 0);
  const boundary = multipartBoundary(header(response, "content-type"));
  let parts: BodyPart[];
  if (boundary !== undefined) {
    checkSameFile(response, undefined);
    const body = await readBody(response, asked + 256 * spans.length + 4096);
    const parsed = parseMultipartByteranges(body, boundary);
    if (!parsed) throw new Transient("a multipart/byteranges answer that does not parse (truncated?)");
    parts = parsed;
  } else {
    const rawRange = header(response, "content-range");
    const range = parseContentRange(rawRange);
    if (!range) {
      response.destroy();
      throw new Fatal(`a 206 answer without a valid Content-Range (${rawRange ?? "none"})`);
    }
    checkSameFile(response, range.size);
    const length = range.end - range.start;
    if (spans.length === 1 && (range.start !== spans[0].start || (range.end !== spans[0].end && !(first && range.end === range.size)))) {
      response.destroy();
      throw new Fatal(`Content-Range "${rawRange}" does not match the requested range ${formatRangeHeader(spans)}`);
    }
    const data = await readBody(response, length);
    if (data.length !== length) throw new Transient(`a truncated answer: ${data.length} of ${length} bytes`);
    parts = [{ ...range, data }];
  }
  for (const part of parts) {
    if (part.size === undefined) throw new Fatal(`a Content-Range without the file's size`);
    if (validators && part.size !== validators.size) throw new Fatal(`the file changed on the server during this run (${validators.size} bytes, now ${part.size})`);
  }
  if (first) {
    const size = parts[0].size as number;
    validators = { size, etag: header(response, "etag"), lastModified: header(response, "last-modified") };
  }
  const covered = (span: Span): boolean => parts.some((p) => p.start <= span.start && (span.end <= p.end || (first && p.end === p.size)));
  if (!spans.every(covered)) {
    if (spans.length > 1 && parts.length === 1) throw new NoMultiRange();
    throw new Fatal(`the parts received (${parts.map((p) => `${p.start}-${p.end - 1}`).join(",")}) do not match the requested ranges ${formatRangeHeader(spans)}`);
  }
  return parts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function withRetries(spans: readonly Span[], first: boolean): Promise<BodyPart[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await exchange(spans, first);
    } catch (error) {
      if (!(error instanceof Transient)) throw error;
      if (attempt >= setup.attempts) throw new Fatal(`${error.message} (${attempt} attempts)`);
      await sleep(RETRY_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}

async function fetchSpans(request: FetchRequest): Promise<BodyPart[]> {
  if (request.spans.length > 1 && !singleRangeOnly) {
    try {
      return await withRetries(request.spans, request.first);
    } catch (error) {
      if (!(error instanceof NoMultiRange)) throw error;
      singleRangeOnly = true;
    }
  }
  const parts: BodyPart[] = [];
  for (const span of request.spans) parts.push(...(await withRetries([span], request.first)));
  return parts;
}

function answer(message: FetchAnswer): void {
  setup.port.postMessage(message);
  Atomics.store(setup.signal, 0, 1);
  Atomics.notify(setup.signal, 0);
}

setup.port.on("message", (request: FetchRequest) => {
  fetchSpans(request).then(
    (parts) => answer({ ok: true, size: (validators as Validators).size, parts: parts.map((p) => ({ start: p.start, data: p.data })) }),
    (error: unknown) => answer({ ok: false, message: error instanceof NoMultiRange ? "the server mishandled a multi-range request" : error instanceof Error ? error.message : String(error) }),
  );
});
