/**
 * CRC-32 (zlib's: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), the
 * checksum of every index section and stored member.
 *
 * node:zlib has one, but loading zlib (and the stream modules it pulls in) costs a command more
 * start-up time than checking the index does, and plain JavaScript runs the loop in the
 * interpreter at first, tens of nanoseconds a byte. So the loop is a small WebAssembly function
 * (slice-by-8; its bytes are below), which V8 compiles in microseconds and runs at about a byte a
 * nanosecond from the first call. Data is copied through a 64 KiB window of the module's memory.
 * Where WebAssembly is unavailable (node --jitless), zlib's crc32 is used.
 */
type Crc32 = (data: Uint8Array, crc: number) => number;

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

function webAssemblyCrc32(): Crc32 {
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
  if (typeof WebAssembly === "object") return webAssemblyCrc32();
  const zlib = process.getBuiltinModule("node:zlib");
  return (data, previous) => zlib.crc32(data, previous);
}

/** The CRC-32 of `data`, continuing from `previous` (the CRC of what came before it). */
export function crc32(data: Uint8Array, previous = 0): number {
  implementation ??= choose();
  return implementation(data, previous);
}
