/**
 * HTTP byte ranges (RFC 9110 §14), the few pieces both ends need: the client (http-worker.ts)
 * writes `Range` and checks `Content-Range` and multipart/byteranges bodies; the server
 * (range-server.ts) reads `Range` and writes those. Ranges here are half-open [start, end).
 */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** "bytes=0-511,1024-2047" for half-open spans. */
export function formatRangeHeader(spans: readonly Span[]): string {
  return `bytes=${spans.map((s) => `${s.start}-${s.end - 1}`).join(",")}`;
}

export function formatContentRange(span: Span, size: number): string {
  return `bytes ${span.start}-${span.end - 1}/${size}`;
}

export interface ContentRange extends Span {
  /** The complete length, or undefined for "*". */
  readonly size: number | undefined;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** A `Content-Range: bytes a-b/size` value, or undefined when malformed. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  const match = value === undefined ? null : CONTENT_RANGE.exec(value.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]) + 1;
  const size = match[3] === "*" ? undefined : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return undefined;
  if (size !== undefined && (!Number.isSafeInteger(size) || end > size)) return undefined;
  return { start, end, size };
}

/**
 * A `Range` header against a file of `size` bytes: the satisfiable spans in the order asked,
 * "unsatisfiable" when none is (416), or undefined when the header is not a bytes range the
 * server understands (then it is ignored and the whole file sent, as RFC 9110 allows).
 */
export function parseRangeHeader(value: string, size: number): Span[] | "unsatisfiable" | undefined {
  const match = /^bytes=(.+)$/i.exec(value.trim());
  if (!match) return undefined;
  const spans: Span[] = [];
  for (const part of match[1].split(",")) {
    const piece = /^\s*(\d*)-(\d*)\s*$/.exec(part);
    if (!piece || (piece[1] === "" && piece[2] === "")) return undefined;
    if (piece[1] === "") {
      const suffix = Number(piece[2]);
      if (suffix > 0 && size > 0) spans.push({ start: Math.max(0, size - suffix), end: size });
      continue;
    }
    const start = Number(piece[1]);
    const last = piece[2] === "" ? size - 1 : Math.min(Number(piece[2]), size - 1);
    if (piece[2] !== "" && Number(piece[2]) < start) return undefined;
    if (start < size) spans.push({ start, end: last + 1 });
  }
  return spans.length === 0 ? "unsatisfiable" : spans;
}

export interface BodyPart extends ContentRange {
  readonly data: Buffer;
}

/**
 * The parts of a multipart/byteranges body. Each part's headers must carry a Content-Range, and
 * its data must be exactly that long; anything else makes the body unusable (undefined).
 */
export function parseMultipartByteranges(body: Buffer, boundary: string): BodyPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const parts: BodyPart[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    at += delimiter.length;
    if (body.toString("latin1", at, at + 2) === "--") return parts;
    const headersEnd = body.indexOf("\r\n\r\n", at, "latin1");
    if (headersEnd < 0) return undefined;
    const headers = body.toString("latin1", at, headersEnd).split("\r\n");
    const line = headers.find((h) => /^content-range:/i.test(h));
    const range = parseContentRange(line?.slice(line.indexOf(":") + 1));
    if (!range) return undefined;
    const dataStart = headersEnd + 4;
    const dataEnd = dataStart + (range.end - range.start);
    if (dataEnd + 2 > body.length || body.toString("latin1", dataEnd, dataEnd + 2) !== "\r\n") return undefined;
    parts.push({ ...range, data: body.subarray(dataStart, dataEnd) });
    at = body.indexOf(delimiter, dataEnd);
  }
  return undefined;
}

/** The boundary parameter of a multipart/byteranges Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/byteranges\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}
