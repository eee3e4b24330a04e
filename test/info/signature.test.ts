import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestContext, after, describe, it } from "node:test";
import { DerError, children, readNode } from "../../src/elf/der";
import { collectString, oidToString } from "../../src/elf/der-values";
import { parsePkcs7Signer } from "../../src/elf/pkcs7";
import { SIGNATURE_MAGIC, readSignatureHeader, readSignatureInfo } from "../../src/elf/signature";
import { hexString } from "../../src/info/modinfo";
import { buildModule } from "../helpers/elf-builder";
import { tempDir } from "../helpers/paths";
import { KMOD_MODINFO, assertSameRun, kmodModinfo, modbundleModinfo } from "./harness";

/**
 * Module signatures: the trailer, the DER reader, and PKCS#7 messages made by OpenSSL with the
 * variations kmod's OpenSSL-based reader sees differently (no commonName, serial numbers that need
 * a sign byte or are zero, other digests, BER indefinite lengths, certificates and attributes
 * included, a subjectKeyIdentifier signer), each compared with Debian's modinfo on the same file.
 */
const dir = tempDir("modinfo-signature");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const MODULE = buildModule({ modinfo: ["license=GPL", "description=signed", "parm=p:a parameter", "parmtype=p:int"] });

function trailer(idType: number, signer: Buffer, keyId: Buffer, signature: Buffer, algo = 1, hash = 4): Buffer {
  const header = Buffer.alloc(12);
  header[0] = algo;
  header[1] = hash;
  header[2] = idType;
  header[3] = signer.length;
  header[4] = keyId.length;
  header.writeUInt32BE(signature.length, 8);
  return Buffer.concat([signer, keyId, signature, header, SIGNATURE_MAGIC]);
}

function needTools(t: TestContext, tools: readonly string[]): boolean {
  const missing = tools.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0 && !fs.existsSync(tool));
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`missing: ${missing.join(", ")}`);
  t.skip(`missing: ${missing.join(", ")}`);
  return false;
}

function openssl(args: readonly string[]): void {
  const result = spawnSync("openssl", args, { cwd: dir, encoding: "latin1" });
  assert.equal(result.status, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
}

interface KeySpec {
  readonly name: string;
  readonly subject: string;
  readonly serial: string;
}

function makeKey(spec: KeySpec): void {
  openssl(["req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", `${spec.name}.key`, "-out", `${spec.name}.crt`, "-subj", spec.subject, "-set_serial", spec.serial, "-days", "1"]);
}

/** A module signed as sign-file does it (a detached PKCS#7 message of the module's bytes). */
function signedModule(name: string, key: string, digest: string, cmsOptions: readonly string[]): string {
  const plain = path.join(dir, `${name}.plain`);
  fs.writeFileSync(plain, MODULE);
  openssl(["cms", "-sign", "-binary", "-outform", "DER", "-md", digest, "-signer", `${key}.crt`, "-inkey", `${key}.key`, "-in", plain, "-out", `${name}.p7`, ...cmsOptions]);
  const pkcs7 = fs.readFileSync(path.join(dir, `${name}.p7`));
  const file = path.join(dir, `${name}.ko`);
  fs.writeFileSync(file, Buffer.concat([MODULE, trailer(2, Buffer.alloc(0), Buffer.alloc(0), pkcs7, 0, 0)]));
  return file;
}

async function sameAsKmod(files: readonly string[], label: string): Promise<void> {
  for (const options of [[], ["-F", "signer"], ["-F", "sig_key"], ["-F", "sig_hashalgo"], ["-0"]]) {
    assertSameRun(await modbundleModinfo([...options, ...files]), kmodModinfo([...options, ...files]), `${label} ${options.join(" ")}`);
  }
}

describe("module signatures", () => {
  it("hex as kmod prints it: a line break and two tabs after every 20 bytes, none at the end", () => {
    assert.equal(hexString(Buffer.alloc(0)), "");
    assert.equal(hexString(Buffer.from([0, 0xab])), "00:AB");
    const twenty = hexString(Buffer.alloc(20, 1));
    assert.equal(twenty, Array(20).fill("01").join(":"));
    assert.equal(hexString(Buffer.alloc(21, 2)), `${Array(20).fill("02").join(":")}:\n\t\t02`);
  });

  it("the trailer is accepted only as kmod accepts it", () => {
    const ok = trailer(1, Buffer.from("me"), Buffer.from([1, 2]), Buffer.from([3]));
    assert.deepEqual(readSignatureInfo(Buffer.concat([MODULE, ok])), {
      idType: "X509", algo: "RSA", signer: Buffer.from("me"), keyId: Buffer.from([1, 2]), hashAlgo: "sha256", signature: Buffer.from([3]),
    });
    assert.equal(readSignatureHeader(MODULE), undefined, "no magic");
    assert.equal(readSignatureHeader(SIGNATURE_MAGIC), undefined, "no room for the header");
    assert.equal(readSignatureHeader(Buffer.concat([MODULE, trailer(3, Buffer.alloc(0), Buffer.alloc(0), Buffer.from([1]))])), undefined, "id type");
    assert.equal(readSignatureHeader(Buffer.concat([MODULE, trailer(1, Buffer.alloc(0), Buffer.alloc(0), Buffer.from([1]), 2)])), undefined, "algorithm");
    assert.equal(readSignatureHeader(Buffer.concat([MODULE, trailer(1, Buffer.alloc(0), Buffer.alloc(0), Buffer.from([1]), 1, 9)])), undefined, "hash");
    assert.equal(readSignatureHeader(Buffer.concat([MODULE, trailer(1, Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0))])), undefined, "empty signature");
    const huge = trailer(1, Buffer.alloc(0), Buffer.alloc(0), Buffer.from([1]));
    huge.writeUInt32BE(0xffffffff, huge.length - SIGNATURE_MAGIC.length - 4);
    assert.equal(readSignatureHeader(Buffer.concat([MODULE, huge])), undefined, "longer than the file");
  });

  it("the DER reader checks every length and bounds nesting", () => {
    const long = Buffer.from([0x04, 0x82, 0x01, 0x00, ...Buffer.alloc(256, 7)]);
    assert.equal(collectString(long, readNode(long, 0, long.length)).length, 256);
    const indefinite = Buffer.from([0x30, 0x80, 0x02, 0x01, 0x05, 0x24, 0x80, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62, 0x00, 0x00, 0x00, 0x00]);
    const seq = readNode(indefinite, 0, indefinite.length);
    assert.equal(seq.end, indefinite.length);
    const [integer, octets] = children(indefinite, seq);
    assert.deepEqual([...collectString(indefinite, integer)], [5]);
    assert.equal(collectString(indefinite, octets).toString(), "ab");
    assert.throws(() => readNode(Buffer.from([0x04, 0x05, 0x01]), 0, 3), DerError);
    assert.throws(() => readNode(Buffer.from([0x04, 0x85, 1, 1, 1, 1, 1]), 0, 7), DerError);
    assert.throws(() => readNode(Buffer.from([0x30, 0x80, 0x02, 0x01]), 0, 4), DerError);
    assert.throws(() => readNode(Buffer.from([0x04, 0x80, 0x00, 0x00]), 0, 4), DerError);
    const deep = Buffer.concat([Buffer.alloc(2000).fill(Buffer.from([0x30, 0x80])), Buffer.alloc(2000)]);
    assert.throws(() => readNode(deep, 0, deep.length), DerError);
    assert.equal(oidToString(Buffer.from("608648016503040201", "hex")), "2.16.840.1.101.3.4.2.1");
    assert.equal(oidToString(Buffer.from("2b0e03021a", "hex")), "1.3.14.3.2.26");
    assert.throws(() => oidToString(Buffer.from([0x86])), DerError);
  });

  it("garbage in a PKCS#7 slot gives no signature fields, never an exception", () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from([0x30, 0x00]), Buffer.from("not der at all"), Buffer.alloc(100, 0xff)]) {
      assert.equal(parsePkcs7Signer(bytes), undefined);
    }
  });

  it("PKCS#7 signatures made by OpenSSL, as Debian's modinfo (OpenSSL inside) shows them", async (t) => {
    if (!needTools(t, ["openssl", KMOD_MODINFO])) return;
    const keys: KeySpec[] = [
      { name: "plain", subject: "/CN=Build time autogenerated kernel key", serial: "0x66F54E1566A043CC3030420E181CF850FB9F42AC" },
      { name: "middle", subject: "/O=Org/CN=Middle Name/emailAddress=x@example.org", serial: "1" },
      { name: "nocn", subject: "/O=Only Org/OU=Last Unit", serial: "0x80" },
      { name: "zero", subject: "/CN=Zero Serial", serial: "0" },
      { name: "utf8", subject: "/CN=K\u00e9y \u00fc", serial: "0x00FF00" },
    ];
    for (const key of keys) makeKey(key);
    const files = [
      ...keys.map((key) => signedModule(key.name, key.name, "sha256", ["-nocerts", "-noattr"])),
      signedModule("sha1", "plain", "sha1", ["-nocerts", "-noattr"]),
      signedModule("sha224", "plain", "sha224", ["-nocerts", "-noattr"]),
      signedModule("sha384", "middle", "sha384", ["-nocerts", "-noattr"]),
      signedModule("sha512", "nocn", "sha512", ["-nocerts", "-noattr"]),
      signedModule("sha3", "plain", "sha3-256", ["-nocerts", "-noattr"]),
      signedModule("stream", "plain", "sha256", ["-stream", "-nocerts", "-noattr"]),
      signedModule("certs", "middle", "sha256", ["-noattr"]),
      signedModule("attrs", "middle", "sha256", ["-nocerts"]),
      signedModule("keyid", "plain", "sha256", ["-keyid", "-nocerts", "-noattr"]),
    ];
    await sameAsKmod(files, "openssl");
    const shown = (await modbundleModinfo(["-F", "signer", files[0]])).stdout;
    assert.equal(shown, "Build time autogenerated kernel key\n");
  });

  it("PGP and X509 trailers take signer, key and signature from the trailer's lengths", async (t) => {
    if (!needTools(t, [KMOD_MODINFO])) return;
    const files = [
      ["pgp", trailer(0, Buffer.from("Some Signer"), Buffer.from([1, 2, 3, 4, 5]), Buffer.alloc(45, 0xab), 1, 4)],
      ["x509", trailer(1, Buffer.from("Nul\0After"), Buffer.alloc(0), Buffer.from([0xff]), 0, 8)],
      ["dsa-md4", trailer(1, Buffer.alloc(0), Buffer.alloc(40, 9), Buffer.alloc(20, 1), 0, 0)],
      ["bad-algo", trailer(1, Buffer.from("x"), Buffer.from([1]), Buffer.from([2]), 2, 4)],
      ["pkcs7-garbage", trailer(2, Buffer.alloc(0), Buffer.alloc(0), Buffer.from("garbage"), 1, 4)],
    ].map(([name, bytes]) => {
      const file = path.join(dir, `${name as string}.ko`);
      fs.writeFileSync(file, Buffer.concat([MODULE, bytes as Buffer]));
      return file;
    });
    await sameAsKmod(files, "trailers");
  });

  it("the issuer's commonName in every string type, valid and not, as OpenSSL converts it", async (t) => {
    if (!needTools(t, ["openssl", KMOD_MODINFO])) return;
    makeKey({ name: "strings", subject: "/CN=Mid Name", serial: "7" });
    signedModule("strings", "strings", "sha256", ["-nocerts", "-noattr"]);
    const pkcs7 = fs.readFileSync(path.join(dir, "strings.p7"));
    const at = pkcs7.indexOf(Buffer.from("Mid Name"));
    const stringsDir = path.join(dir, "strings");
    fs.mkdirSync(stringsDir);
    // Eight bytes each: surrogates and out-of-range characters for BMP and Universal strings,
    // overlong and surrogate UTF-8, an embedded NUL, plain ASCII, a euro sign.
    const contents = ["D800004100420043", "0041D8000042DC00", "00110000000000FF", "0000D8000000004A", "4D69642000000041", "C0AF414243444546", "EDA080414243444B", "F4908080414243FF", "3030303030303030", "E282AC4142434445"];
    const files: string[] = [];
    for (let tag = 0; tag < 32; tag++) {
      for (const content of contents) {
        const changed = Buffer.from(pkcs7);
        changed[at - 2] = tag;
        Buffer.from(content, "hex").copy(changed, at);
        const file = path.join(stringsDir, `${tag}-${content}.ko`);
        fs.writeFileSync(file, Buffer.concat([MODULE, trailer(2, Buffer.alloc(0), Buffer.alloc(0), changed, 0, 0)]));
        files.push(file);
      }
    }
    const ours = await modbundleModinfo(["-F", "signer", ...files]);
    if (ours.stdout !== kmodModinfo(["-F", "signer", ...files]).stdout) {
      for (const file of files) assertSameRun(await modbundleModinfo(["-F", "signer", file]), kmodModinfo(["-F", "signer", file]), path.basename(file));
    }
  });

  it("damaged PKCS#7 messages: each byte of the structure changed, as kmod sees them", async (t) => {
    if (!needTools(t, ["openssl", KMOD_MODINFO])) return;
    makeKey({ name: "fuzz", subject: "/O=Fuzz/CN=Fuzz Key", serial: "0x1234" });
    // With authenticated attributes: more kinds of structure (attributes, times, ANY values).
    signedModule("fuzz", "fuzz", "sha256", ["-nocerts"]);
    const pkcs7 = fs.readFileSync(path.join(dir, "fuzz.p7"));
    const fuzzDir = path.join(dir, "fuzz");
    fs.mkdirSync(fuzzDir);
    // Every byte before the signature value: other tags (string types, SEQUENCE), lengths one off,
    // the constructed bit flipped, and bytes OpenSSL treats specially.
    const files: string[] = [];
    for (let at = 0; at < pkcs7.length - 128; at++) {
      const old = pkcs7[at];
      for (const value of new Set([0x00, 0x80, 0xff, old ^ 0x20, (old + 1) & 0xff, (old - 1) & 0xff, 0x1e, 0x13, 0x0c, 0x30])) {
        if (value === old) continue;
        const damaged = Buffer.from(pkcs7);
        damaged[at] = value;
        const file = path.join(fuzzDir, `${at}-${value}.ko`);
        fs.writeFileSync(file, Buffer.concat([MODULE, trailer(2, Buffer.alloc(0), Buffer.alloc(0), damaged, 0, 0)]));
        files.push(file);
      }
    }
    for (let i = 0; i < files.length; i += 1000) {
      const batch = files.slice(i, i + 1000);
      const ours = await modbundleModinfo(["-0", ...batch]);
      const theirs = kmodModinfo(["-0", ...batch]);
      if (ours.stdout === theirs.stdout) continue;
      for (const file of batch) assertSameRun(await modbundleModinfo([file]), kmodModinfo([file]), path.basename(file));
    }
    t.diagnostic(`${files.length} damaged PKCS#7 messages compared`);
  });
});
