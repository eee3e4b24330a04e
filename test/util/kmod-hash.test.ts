import assert from "node:assert/strict";
import { it } from "node:test";
import { hashSuperfast, kmodHashOrder } from "../../src/util/kmod-hash";

/** kmod's iteration order spelled out: by bucket, then by key inside one (a stable sort). */
function reference<T>(items: readonly T[], keyOf: (item: T) => string, buckets: number): T[] {
  const bucket = (item: T): number => hashSuperfast(keyOf(item)) & (buckets - 1);
  return items
    .map((item, position) => ({ item, position }))
    .sort((x, y) => bucket(x.item) - bucket(y.item) || (keyOf(x.item) < keyOf(y.item) ? -1 : keyOf(x.item) > keyOf(y.item) ? 1 : 0) || x.position - y.position)
    .map((x) => x.item);
}

it("orders items by kmod's hash buckets then by key, whether given in key order or not", () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const names = Array.from({ length: 5000 }, (_, i) => `sym_${(i * 7919).toString(36)}_${"x".repeat(random(4))}\xe9`);
  // Some keys twice, as two items: equal keys keep the order they were given in.
  const items = names.concat(names.slice(0, 300)).map((name, id) => ({ name, id }));
  const keyOf = (item: { name: string }): string => item.name;
  const sorted = [...items].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const shuffled = [...items].sort(() => random(3) - 1);
  for (const buckets of [1, 512, 2048]) {
    assert.deepEqual(kmodHashOrder(sorted, keyOf, buckets), reference(sorted, keyOf, buckets), `in key order, ${buckets} buckets`);
    assert.deepEqual(kmodHashOrder(shuffled, keyOf, buckets), reference(shuffled, keyOf, buckets), `shuffled, ${buckets} buckets`);
  }
  assert.deepEqual(kmodHashOrder([], keyOf, 512), []);
});
