/**
 * CRC-32 (zlib's: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), the
 * checksum of every index section and stored member.
 *
 * Opening a bundle checks some 700 KB of index at every start, so the implementation matters:
 * - Node's own native CRC-32 (zlib's, which uses the CPU's carry-less multiply: about 2 GB/s),
 *   reached through the zlib binding (process.binding), because loading node:zlib for its
 *   zlib.crc32 (with the stream modules it pulls in) costs a command milliseconds more than the
 *   whole check. process.binding is deprecated, and under --pending-deprecation (or
 *   NODE_PENDING_DEPRECATION=1) calling it prints a warning, which would add a line to a kmod
 *   command's output: then, as where the binding lacks crc32 (Node before 20.15) or is refused
 *   (the permission model), the next one is used.
 * - A small WebAssembly function (slice-by-8; its bytes are below), which V8 compiles in a fraction
 *   of a millisecond and runs at about 2-3 ns a byte at start-up (plain JavaScript runs the loop
 *   in the interpreter at first, tens of nanoseconds a byte). Data is copied through a 64 KiB
 *   window of the module's memory.
 * - Where WebAssembly is unavailable too (node --jitless), zlib's crc32 from node:zlib.
 */
export type Crc32 = (data: Uint8Array, crc: number) => number;

/** The part of the WebAssembly API used here (the project's TypeScript libraries do not declare it). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
};

const TABLE_BYTES = 8 * 256 * 4;
const WINDOW = 1 << 16;

/**
 * The WebAssembly module: it imports memory "env.memory" and exports tables(), which computes the
 * eight slice-by-8 tables at address 0 (k * 1 KiB each; in JavaScript their loops would run in the
 * interpreter at every start-up), and crc(p, n, crc) -> crc, the CRC over memory[p, p + n), not
 * inverted at either end. test/util/crc32-module.ts assembles it from readable instructions,
 * and the tests check that these are its bytes.
 */
export const CRC_MODULE_BASE64 =
  "AGFzbQEAAAABCwJgA39/fwF/YAAAAg8BA2VudgZtZW1vcnkCAAEDAwIAAQcQAgNjcmMAAAZ0YWJsZXMAAQqMAwLYAQECfyAAIAFBeHFqIQMgACABaiEBAkADQCAAIANPDQEgACgCACACcyEEIARB/wFxQQJ0KAKAOCAEQQh2Qf8BcUECdCgCgDBzIARBEHZB/wFxQQJ0KAKAKHMgBEEYdkECdCgCgCBzIAAtAARBAnQoAoAYcyAALQAFQQJ0KAKAEHMgAC0ABkECdCgCgAhzIAAtAAdBAnQoAgBzIQIgAEEIaiEADAALCwJAA0AgACABTw0BIAIgAC0AAHNB/wFxQQJ0KAIAIAJBCHZzIQIgAEEBaiEADAALCyACC68BAQN/AkADQCAAIQFBACECA0AgAUEBdkGghuLtfkEAIAFBAXFrcXMhASACQQFqIQIgAkEISQ0ACyAAQQJ0IAE2AgAgAEEBaiEAIABBgAJJDQALC0EAIQACQANAIABBAnQoAgAhAUEBIQIDQCABQf8BcUECdCgCACABQQh2cyEBIAJBCnQgAEECdGogATYCACACQQFqIQIgAkEISQ0ACyAAQQFqIQAgAEGAAkkNAAsLCw==";

/** Node's native CRC-32 without loading node:zlib, or undefined (see above). */
export function nativeCrc32(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): Crc32 | undefined {
  const pending = /(^|\s)--pending[-_]deprecation(?=\s|=|$)/;
  if (env.NODE_PENDING_DEPRECATION?.startsWith("1") || execArgv.some((arg) => pending.test(arg)) || pending.test(env.NODE_OPTIONS ?? "")) return undefined;
  const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  let native: unknown;
  try {
    native = binding && (binding("zlib") as { crc32?: unknown }).crc32;
  } catch {
    return undefined;
  }
  if (typeof native !== "function") return undefined;
  const crc = native as (data: Uint8Array, value: number) => number;
  return (data, previous) => crc(data, previous >>> 0);
}

export function webAssemblyCrc32(): Crc32 {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((TABLE_BYTES + WINDOW) / 65536) });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(CRC_MODULE_BASE64, "base64")), { env: { memory } });
  const crc = instance.exports.crc as (p: number, n: number, crc: number) => number;
  (instance.exports.tables as () => void)();
  const window = new Uint8Array(memory.buffer, TABLE_BYTES, WINDOW);
  return (data, previous) => {
    let value = ~previous;
    for (let at = 0; at < data.length; at += WINDOW) {
      const piece = data.subarray(at, Math.min(at + WINDOW, data.length));
      window.set(piece);
      value = crc(TABLE_BYTES, piece.length, value);
    }
    return ~value >>> 0;
  };
}

let implementation: Crc32 | undefined;

function choose(): Crc32 {
  const native = nativeCrc32();
  if (native !== undefined) return native;
  if (typeof WebAssembly === "object") return webAssemblyCrc32();
  const zlib = process.getBuiltinModule("node:zlib");
  return (data, previous) => zlib.crc32(data, previous);
}

/** The CRC-32 of `data`, continuing from `previous` (the CRC of what came before it). */
export function crc32(data: Uint8Array, previous = 0): number {
  implementation ??= choose();
  return implementation(data, previous);
}
