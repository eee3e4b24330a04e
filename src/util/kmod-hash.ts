/**
 * kmod's hash table iteration order (shared/hash.c): entries sit in bucket
 * `hash_superfast(key) & (buckets - 1)`, sorted by strcmp within a bucket, and are visited
 * bucket by bucket. depmod's module order (before modules.order is applied) and the order of
 * modules.symbols are this order, so reproducing depmod's files byte for byte needs it. Keys are
 * byte strings (latin1), whose code units are the bytes kmod hashes and strcmp compares.
 */
function u16le(key: string, at: number): number {
  return key.charCodeAt(at) | (key.charCodeAt(at + 1) << 8);
}

/** Signed char, as on amd64 where Debian's kmod runs. */
function schar(byte: number): number {
  return byte >= 0x80 ? byte - 0x100 : byte;
}

export function hashSuperfast(key: string): number {
  let len = key.length;
  let hash = len >>> 0;
  const rem = len & 3;
  len >>>= 2;
  let at = 0;
  for (; len > 0; len--) {
    hash = (hash + u16le(key, at)) >>> 0;
    const tmp = ((u16le(key, at + 2) << 11) ^ hash) >>> 0;
    hash = ((hash << 16) ^ tmp) >>> 0;
    at += 4;
    hash = (hash + (hash >>> 11)) >>> 0;
  }
  switch (rem) {
    case 3:
      hash = (hash + u16le(key, at)) >>> 0;
      hash = (hash ^ (hash << 16)) >>> 0;
      hash = (hash ^ (schar(key.charCodeAt(at + 2)) << 18)) >>> 0;
      hash = (hash + (hash >>> 11)) >>> 0;
      break;
    case 2:
      hash = (hash + u16le(key, at)) >>> 0;
      hash = (hash ^ (hash << 11)) >>> 0;
      hash = (hash + (hash >>> 17)) >>> 0;
      break;
    case 1:
      hash = (hash + schar(key.charCodeAt(at))) >>> 0;
      hash = (hash ^ (hash << 10)) >>> 0;
      hash = (hash + (hash >>> 1)) >>> 0;
      break;
  }
  hash = (hash ^ (hash << 3)) >>> 0;
  hash = (hash + (hash >>> 5)) >>> 0;
  hash = (hash ^ (hash << 4)) >>> 0;
  hash = (hash + (hash >>> 17)) >>> 0;
  hash = (hash ^ (hash << 25)) >>> 0;
  hash = (hash + (hash >>> 6)) >>> 0;
  return hash;
}

/** `items` in the order kmod's hash of `buckets` buckets iterates them, keyed by `keyOf`. */
export function kmodHashOrder<T>(items: readonly T[], keyOf: (item: T) => string, buckets: number): T[] {
  const keys = items.map(keyOf);
  if (inKeyOrder(keys)) return spreadByBucket(items, keys, buckets);
  // A bucket at a time: most hold a few items, sorted there by key.
  const byBucket: Array<Array<{ item: T; key: string }> | undefined> = new Array(buckets);
  for (let k = 0; k < items.length; k++) {
    const key = keys[k];
    const bucket = hashSuperfast(key) & (buckets - 1);
    (byBucket[bucket] ??= []).push({ item: items[k], key });
  }
  const out: T[] = [];
  for (let b = 0; b < buckets; b++) {
    const entries = byBucket[b];
    if (entries === undefined) continue;
    if (entries.length > 1) entries.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    for (const entry of entries) out.push(entry.item);
  }
  return out;
}

function inKeyOrder(keys: readonly string[]): boolean {
  for (let k = 1; k < keys.length; k++) if (keys[k - 1] > keys[k]) return false;
  return true;
}

/**
 * kmodHashOrder of items already in key order (a tree's symbols, some 30,000): a stable
 * counting sort by bucket keeps them in key order inside each, which is the order the sort per
 * bucket gives, with no comparison made and no object per item.
 */
function spreadByBucket<T>(items: readonly T[], keys: readonly string[], buckets: number): T[] {
  const bucketOf = new Int32Array(items.length);
  const starts = new Int32Array(buckets + 1);
  for (let k = 0; k < keys.length; k++) {
    const bucket = hashSuperfast(keys[k]) & (buckets - 1);
    bucketOf[k] = bucket;
    starts[bucket + 1]++;
  }
  for (let b = 0; b < buckets; b++) starts[b + 1] += starts[b];
  const out = new Array<T>(items.length);
  for (let k = 0; k < items.length; k++) out[starts[bucketOf[k]]++] = items[k];
  return out;
}
