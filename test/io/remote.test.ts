import assert from "node:assert/strict";
import { ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { formatContentRange, parseRangeHeader } from "../../src/io/http-ranges";
import { RunningServer, ServedResponse, startRangeServer } from "../../src/io/range-server";
import { kernelModule } from "../helpers/kernel-module";
import { packTree } from "../helpers/pack";
import { CLI, tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";

/**
 * Bundles read from http:// URLs: every bundle-reading command gives from a URL exactly what it
 * gives from the file (served by `modbundle serve` itself), a fake-kernel load fetches only what
 * it needs, and servers that misbehave on purpose (no ranges, wrong ranges, truncated bodies, a
 * stall, a file changed mid-run, redirects, errors) end each in one line naming the URL, within a
 * bounded time. The CLI runs as a child process: its reads block on the worker while the servers
 * here answer.
 */
const VERSION = "6.1.0-fake";
let bundle: string;
let work: string;

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = Date.now();
  const fullEnv = { PATH: process.env.PATH, MODBUNDLE_NO_SYSCALLS: "1", MODBUNDLE_FAKE_KERNEL: path.join(work, `kernel-${Math.random()}.json`), ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: fullEnv, encoding: "latin1", maxBuffer: 64 << 20, timeout: 60_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function tree(): Record<string, Buffer | string> {
  const filler = Buffer.alloc(200_000, 0x5a);
  return {
    "kernel/lib/base.ko": kernelModule("base", { exports: [{ name: "base_fn" }], modinfo: ["license=GPL", "description=the base"] }),
    "kernel/lib/low.ko": kernelModule("low", { exports: [{ name: "low_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/lib/mid.ko": kernelModule("mid", { exports: [{ name: "mid_fn" }], needs: [{ name: "low_fn" }] }),
    "kernel/drivers/top.ko": kernelModule("top", { needs: [{ name: "mid_fn" }], modinfo: ["alias=pci:v00001234d*sv*sd*bc*sc*i*", "softdep=pre: extra", "parm=level:the level"] }),
    "kernel/drivers/extra.ko": kernelModule("extra", {}),
    // Big and far from the others: a load that does not need it must not fetch it.
    "kernel/drivers/big.ko": kernelModule("big", { modinfo: [`description=${filler.toString("latin1")}`] }),
    "modules.order": "kernel/lib/base.ko\nkernel/lib/low.ko\nkernel/lib/mid.ko\nkernel/drivers/top.ko\nkernel/drivers/extra.ko\nkernel/drivers/big.ko\n",
    "modules.builtin": "kernel/fs/ext4/ext4.ko\n",
  };
}

/** `modbundle serve --port 0 FILE`: the process and the URL it prints. */
async function serveCli(file: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", file], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("\n")) resolve(text.split("\n")[0]);
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, url };
}

/** A server whose answers the test scripts; `handler` gets the file's bytes and the request number. */
async function scriptedServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<{ url: string; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => handler(req, res, n++));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/b`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A correct single-range answer from `data` (what a plain range-capable server does). */
function rangeAnswer(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer, etag = '"v1"'): void {
  const spans = parseRangeHeader(req.headers.range ?? "", data.length);
  if (!Array.isArray(spans)) {
    res.writeHead(200, { "Content-Length": data.length, ETag: etag });
    res.end(data);
    return;
  }
  const span = spans[0];
  res.writeHead(206, { "Content-Range": formatContentRange(span, data.length), "Content-Length": span.end - span.start, ETag: etag });
  res.end(data.subarray(span.start, span.end));
}

before(async () => {
  work = tempDir("remote");
  const dir = path.join(work, "tree", VERSION);
  writeTree(dir, tree());
  bundle = await packTree(dir, "keep", path.join(work, "modules.bundle"));
});

describe("commands read a bundle from an http:// URL as from the file", () => {
  let served: { child: ChildProcess; url: string };
  before(async () => {
    served = await serveCli(bundle);
  });
  after(() => {
    served.child.kill("SIGTERM");
  });

  const same = (label: string, args: (where: string) => string[]): void => {
    it(`${label}: byte-identical output and status`, async () => {
      const fromFile = await cli(args(bundle));
      const fromUrl = await cli(args(served.url));
      assert.equal(fromFile.status, 0, fromFile.stderr);
      assert.equal(fromUrl.stderr, fromFile.stderr);
      assert.equal(fromUrl.stdout, fromFile.stdout);
      assert.equal(fromUrl.status, fromFile.status);
    });
  };
  same("modprobe --show-depends", (b) => ["modprobe", "--bundle", b, "-S", VERSION, "--show-depends", "top"]);
  same("modprobe -R", (b) => ["modprobe", "--bundle", b, "-R", "pci:v00001234d00000001sv0sd0bc0sc0i0"]);
  same("modinfo", (b) => ["modinfo", "--bundle", b, "top", "base", "mid"]);
  same("modbundle list -l", (b) => ["list", "-l", b]);
  same("modbundle verify", (b) => ["verify", "-q", b]);

  it("$MODBUNDLE may be a URL too", async () => {
    const run = await cli(["modprobe", "--show-depends", "top"], { MODBUNDLE: served.url });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /insmod \/lib\/modules\/6\.1\.0-fake\/kernel\/drivers\/top\.ko/);
  });

  it("modbundle info names the URL; unpack restores the same tree", async () => {
    const info = await cli(["info", served.url]);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`^file: +${served.url.replace(/[.]/g, "\\.")}$`, "m"));
    const fromFile = path.join(work, "unpack-file");
    const fromUrl = path.join(work, "unpack-url");
    assert.equal((await cli(["unpack", bundle, fromFile])).status, 0);
    const unpacked = await cli(["unpack", served.url, fromUrl]);
    assert.equal(unpacked.status, 0, unpacked.stderr);
    const files = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
    assert.deepEqual(files(fromUrl), files(fromFile));
    for (const name of files(fromFile)) {
      if (fs.statSync(path.join(fromFile, name)).isFile()) assert.ok(fs.readFileSync(path.join(fromUrl, name)).equals(fs.readFileSync(path.join(fromFile, name))), name);
    }
  });
});

describe("loading from a URL (fake kernel)", () => {
  let server: RunningServer;
  const log: ServedResponse[] = [];
  before(async () => {
    server = await startRangeServer({ files: [bundle], port: 0, bind: "127.0.0.1", onResponse: (r) => log.push(r) });
  });
  after(() => server.close());

  it("modprobe top loads its chain, fetching its modules in one request and nothing else", async () => {
    log.length = 0;
    const state = path.join(work, "kernel-load.json");
    const run = await cli(["modprobe", "--bundle", server.urls[0], "top"], { MODBUNDLE_FAKE_KERNEL: state });
    assert.equal(run.status, 0, run.stderr);
    const loaded = (JSON.parse(fs.readFileSync(state, "utf8")) as { modules: Array<{ name: string }> }).modules.map((m) => m.name);
    // Loads may overlap (modprobe -j): the set, not the order.
    assert.deepEqual(loaded.sort(), ["base", "extra", "low", "mid", "top"]);
    // The head, the index's directory, the sections a lookup needs, then the five modules at once.
    assert.ok(log.length <= 4, JSON.stringify(log));
    assert.ok(log[log.length - 1].ranges.length <= 5, JSON.stringify(log));
    const size = fs.statSync(bundle).size;
    const sent = log.reduce((sum, r) => sum + r.bodyBytes, 0);
    assert.ok(sent < size - 200_000, `${sent} bytes sent of a ${size}-byte bundle: the big module was fetched`);
  });

  it("insmod NAME --bundle URL inserts from the bundle", async () => {
    const state = path.join(work, "kernel-insmod.json");
    const run = await cli(["insmod", "--bundle", server.urls[0], "base"], { MODBUNDLE_FAKE_KERNEL: state });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual((JSON.parse(fs.readFileSync(state, "utf8")) as { modules: Array<{ name: string }> }).modules.map((m) => m.name), ["base"]);
  });

  it("a damaged bundle on the server is refused with the checksum error", async () => {
    const damaged = path.join(work, "damaged.bundle");
    const data = fs.readFileSync(bundle);
    const member = data.indexOf(Buffer.from("kernel/lib/base.ko\0", "latin1"));
    data[member + 400] ^= 0xff;
    fs.writeFileSync(damaged, data);
    const other = await startRangeServer({ files: [damaged], port: 0, bind: "127.0.0.1" });
    try {
      const state = path.join(work, "kernel-damaged.json");
      const run = await cli(["modprobe", "--bundle", other.urls[0], "base"], { MODBUNDLE_FAKE_KERNEL: state });
      assert.equal(run.status, 1);
      assert.match(run.stderr, /checksum mismatch in kernel\/lib\/base\.ko/);
      assert.ok(!fs.existsSync(state) || !fs.readFileSync(state, "utf8").includes('"name": "base"'));
    } finally {
      await other.close();
    }
  });
});

describe("misbehaving servers end in one line naming the URL, never a hang", () => {
  let data: Buffer;
  before(() => {
    data = fs.readFileSync(bundle);
  });
  const fast = { MODBUNDLE_HTTP_TIMEOUT: "1", MODBUNDLE_HTTP_ATTEMPTS: "2" };

  async function failsWith(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void, pattern: RegExp, args: (url: string) => string[] = (u) => ["modprobe", "--bundle", u, "top"]): Promise<void> {
    const server = await scriptedServer(handler);
    try {
      const run = await cli(args(server.url), fast);
      assert.equal(run.status, 1, run.stderr);
      const lines = run.stderr.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0].includes(server.url), lines[0]);
      assert.match(lines[0], pattern);
      assert.ok(run.seconds < 20, `took ${run.seconds} s`);
    } finally {
      await server.close();
    }
  }

  it("no range support (200 with the whole file)", () =>
    failsWith((_req, res) => {
      res.writeHead(200, { "Content-Length": data.length });
      res.end(data);
    }, /does not support range requests/));

  it("a Content-Range that does not match the request", () =>
    failsWith((req, res, n) => {
      if (n === 0) return rangeAnswer(req, res, data);
      const spans = parseRangeHeader(req.headers.range ?? "", data.length) as Array<{ start: number; end: number }>;
      const wrong = { start: spans[0].start + 1, end: spans[0].end };
      res.writeHead(206, { "Content-Range": formatContentRange(wrong, data.length), "Content-Length": wrong.end - wrong.start, ETag: '"v1"' });
      res.end(data.subarray(wrong.start, wrong.end));
    }, /Content-Range .* does not match the requested range/));

  it("truncated bodies, every time", () =>
    failsWith((req, res, n) => {
      if (n === 0) return rangeAnswer(req, res, data);
      const span = (parseRangeHeader(req.headers.range ?? "", data.length) as Array<{ start: number; end: number }>)[0];
      res.writeHead(206, { "Content-Range": formatContentRange(span, data.length), "Content-Length": span.end - span.start, ETag: '"v1"' });
      res.write(data.subarray(span.start, span.start + Math.floor((span.end - span.start) / 2)));
      setTimeout(() => res.destroy(), 20);
    }, /connection broke|truncated/));

  it("a stall: headers of the first answer, then nothing", () =>
    failsWith((req, res, n) => {
      if (n === 0) return rangeAnswer(req, res, data);
      const span = (parseRangeHeader(req.headers.range ?? "", data.length) as Array<{ start: number; end: number }>)[0];
      res.writeHead(206, { "Content-Range": formatContentRange(span, data.length), "Content-Length": span.end - span.start, ETag: '"v1"' });
      res.flushHeaders();
    }, /no answer for 1 s \(2 attempts\)|connection broke/));

  it("a server that never answers at all", () => failsWith(() => undefined, /no answer for 1 s \(2 attempts\)/));

  it("the file changes on the server mid-run (ETag and size)", () =>
    failsWith((req, res, n) => {
      if (n < 2) return rangeAnswer(req, res, data, '"v1"');
      const changed = Buffer.concat([data, Buffer.alloc(4096)]);
      // A server that honours If-Range sends the whole new file: refused at once.
      if (req.headers["if-range"] !== '"v2"') {
        res.writeHead(200, { "Content-Length": changed.length, ETag: '"v2"' });
        res.end(changed);
        return;
      }
      rangeAnswer(req, res, changed, '"v2"');
    }, /changed on the server during this run/));

  it("the file changes on a server that ignores If-Range", () =>
    failsWith((req, res, n) => rangeAnswer(req, res, n < 2 ? data : Buffer.concat([data, Buffer.alloc(4096)]), n < 2 ? '"v1"' : '"v2"'), /changed on the server during this run/));

  it("redirects without end", () =>
    failsWith((_req, res) => {
      res.writeHead(302, { Location: "/again" });
      res.end();
    }, /more than 5 redirects/));

  it("HTTP 404", () =>
    failsWith((_req, res) => {
      res.writeHead(404);
      res.end();
    }, /HTTP 404 Not Found/));

  it("503 every time (retried, bounded)", () =>
    failsWith((_req, res) => {
      res.writeHead(503);
      res.end();
    }, /HTTP 503 Service Unavailable \(2 attempts\)/));

  it("nothing listening", async () => {
    const server = await scriptedServer(() => undefined);
    await server.close();
    const run = await cli(["info", server.url], fast);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`^modbundle: ERROR: ${server.url.replace(/[.]/g, "\\.")}: .*ECONNREFUSED.*\\n$`));
  });
});

describe("servers that are odd but usable", () => {
  let data: Buffer;
  before(() => {
    data = fs.readFileSync(bundle);
  });

  async function works(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<number> {
    let requests = 0;
    const server = await scriptedServer((req, res, n) => {
      requests++;
      handler(req, res, n);
    });
    try {
      const run = await cli(["modprobe", "--bundle", server.url, "--show-depends", "top"]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /insmod \/lib\/modules\/6\.1\.0-fake\/kernel\/drivers\/top\.ko/);
      return requests;
    } finally {
      await server.close();
    }
  }

  it("one range per request only (multiple ranges answered with the whole file): falls back to single ranges", async () => {
    await works((req, res) => {
      if ((req.headers.range ?? "").includes(",")) {
        res.writeHead(200, { "Content-Length": data.length, ETag: '"v1"' });
        res.end(data);
        return;
      }
      rangeAnswer(req, res, data);
    });
  });

  it("a redirect (followed; the new location kept for the next requests)", async () => {
    const requests = await works((req, res) => {
      if (req.url === "/b") {
        res.writeHead(307, { Location: "/elsewhere" });
        res.end();
        return;
      }
      rangeAnswer(req, res, data);
    });
    assert.ok(requests <= 6, `${requests} requests`);
  });

  it("a transient 503 and a reset connection are retried", async () => {
    await works((req, res, n) => {
      if (n === 1) {
        res.writeHead(503);
        res.end();
      } else if (n === 2) {
        res.destroy();
      } else {
        rangeAnswer(req, res, data);
      }
    });
  });
});

describe("modbundle serve answers ranges as RFC 9110 says", () => {
  let server: RunningServer;
  let data: Buffer;
  before(async () => {
    server = await startRangeServer({ files: [bundle], port: 0, bind: "127.0.0.1" });
    data = fs.readFileSync(bundle);
  });
  after(() => server.close());

  it("a single range: 206 with its Content-Range, ETag and Last-Modified", async () => {
    const response = await fetch(server.urls[0], { headers: { Range: "bytes=10-19" } });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get("content-range"), `bytes 10-19/${data.length}`);
    assert.ok(response.headers.get("etag"));
    assert.ok(response.headers.get("last-modified"));
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(data.subarray(10, 20)));
  });

  it("several ranges: one multipart/byteranges answer", async () => {
    const response = await fetch(server.urls[0], { headers: { Range: "bytes=0-3,100-103,-4" } });
    assert.equal(response.status, 206);
    assert.match(response.headers.get("content-type") ?? "", /^multipart\/byteranges; boundary=/);
    const body = Buffer.from(await response.arrayBuffer()).toString("latin1");
    assert.equal(body.split(`Content-Range: bytes `).length - 1, 3);
    assert.ok(body.includes(`Content-Range: bytes ${data.length - 4}-${data.length - 1}/${data.length}`));
  });

  it("416 for a range past the end; If-Range with another ETag gives the whole file; HEAD has no body", async () => {
    const past = await fetch(server.urls[0], { headers: { Range: `bytes=${data.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${data.length}`);
    await past.arrayBuffer();
    const stale = await fetch(server.urls[0], { headers: { Range: "bytes=0-9", "If-Range": '"old"' } });
    assert.equal(stale.status, 200);
    assert.equal((await stale.arrayBuffer()).byteLength, data.length);
    const head = await fetch(server.urls[0], { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(data.length));
    assert.equal(head.headers.get("accept-ranges"), "bytes");
    const missing = await fetch(server.urls[0] + "-nothing");
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
  });
});

describe("https://", () => {
  let server: https.Server | undefined;
  let url = "";
  let cert = "";
  let skipReason = "";
  before(async () => {
    const dir = tempDir("tls");
    const key = path.join(dir, "key.pem");
    cert = path.join(dir, "cert.pem");
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    if (made.status !== 0) {
      if (process.env.CI === "true") throw new Error("openssl is missing: run scripts/setup.sh");
      skipReason = "openssl is missing: run scripts/setup.sh";
      return;
    }
    const data = fs.readFileSync(bundle);
    server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => rangeAnswer(req, res, data));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/b`;
  });
  after(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it("a certificate no known authority signed is refused, in one line naming the URL", async (t) => {
    if (!server) return t.skip(skipReason);
    const run = await cli(["modprobe", "--bundle", url, "--show-depends", "top"]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`^modprobe: ERROR: ${url.replace(/[.]/g, "\\.")}: self[- ]signed certificate\\n$`));
  });

  it("trusted through NODE_EXTRA_CA_CERTS: the same output as from the file", async (t) => {
    if (!server) return t.skip(skipReason);
    const fromUrl = await cli(["modprobe", "--bundle", url, "--show-depends", "top"], { NODE_EXTRA_CA_CERTS: cert });
    const fromFile = await cli(["modprobe", "--bundle", bundle, "--show-depends", "top"]);
    assert.equal(fromUrl.stderr, "");
    assert.equal(fromUrl.status, 0);
    assert.equal(fromUrl.stdout, fromFile.stdout);
  });
});
