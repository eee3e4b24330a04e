/**
 * One string object per distinct name: thousands of modules name the same few thousand symbols,
 * and keeping one copy of each keeps pack's and depmod's memory flat.
 */
export function createInterner(): (name: string) => string {
  const interned = new Map<string, string>();
  return (name) => {
    const known = interned.get(name);
    if (known !== undefined) return known;
    interned.set(name, name);
    return name;
  };
}
