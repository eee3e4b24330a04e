#!/usr/bin/env bash
# Prints the root of the project's production node_modules for arm64, cached under
# .cache/vm/arm64/modules-KEY (KEY: package-lock.json, the arm64 Node, the cross compiler, this
# script). The JavaScript packages are copied as `npm ls --omit=dev` lists them; the native
# addons (ffi-napi, ref-napi) are rebuilt by node-gyp with Debian's aarch64-linux-gnu cross
# compilers against the headers of the arm64 Node they will run in: seconds on this host,
# where building them under qemu-user would emulate every compiler instruction.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
cache="$top/.cache/vm/arm64"

for tool in aarch64-linux-gnu-gcc aarch64-linux-gnu-g++; do
  command -v "$tool" >/dev/null || { echo "vm/arm64/addons: $tool is missing (scripts/setup.sh installs gcc-aarch64-linux-gnu and g++-aarch64-linux-gnu)" >&2; exit 1; }
done
node_dir=$("$top/scripts/vm/arm64/node.sh")
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || { echo "vm/arm64/addons: npm's node-gyp is missing ($gyp)" >&2; exit 1; }

key=$( (cat "$top/package-lock.json" "$0"; basename "$node_dir"; aarch64-linux-gnu-g++ --version | head -1) | sha256sum | cut -c1-16)
out="$cache/modules-$key"
if [ -d "$out/node_modules" ]; then
  echo "$out"
  exit 0
fi

mapfile -t deps < <(cd "$top" && npm ls --omit=dev --parseable --all 2>/dev/null | sed -n "s|^$top/||p" | grep '^node_modules/')
[ ${#deps[@]} -gt 0 ] || { echo "vm/arm64/addons: npm ls found no production dependencies (npm ci)" >&2; exit 1; }
stage=$(mktemp -d "$cache/.modules.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tar -C "$top" -cf - "${deps[@]}" | tar -C "$stage" -xf -

# Every package with a binding.gyp is an addon; each gets its own arm64 build.
for dep in "${deps[@]}"; do
  [ -f "$stage/$dep/binding.gyp" ] || continue
  rm -rf "$stage/$dep/build"
  if ! (cd "$stage/$dep" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
        node "$gyp" rebuild --arch=arm64 --nodedir="$node_dir" > "$stage/gyp.log" 2>&1); then
    tail -20 "$stage/gyp.log" >&2
    echo "vm/arm64/addons: cross-building $dep failed" >&2
    exit 1
  fi
  # Only the loadable addon is needed at run time, not the objects it was linked from.
  find "$stage/$dep/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$stage/$dep/build/Release" -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +
done
rm -f "$stage/gyp.log"
# Another test process may have built the same meanwhile: either copy will do.
chmod 755 "$stage"
[ -d "$out" ] || mv "$stage" "$out"
# Builds for older inputs are no longer wanted.
find "$cache" -maxdepth 1 -name 'modules-*' ! -path "$out" -exec rm -rf {} +
echo "$out"
