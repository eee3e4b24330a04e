#!/usr/bin/env bash
# Fetches the Debian headers package that matches the kernel fixture of scripts/fetch-kernel.sh
# (linux-image-X -> linux-headers-X) and unpacks it (dpkg-deb -x, nothing is installed) into
# .cache/kernel/<arch>/headers. The tests need only its Module.symvers: the symbols vmlinux
# exports, which the fake kernel checks a module's needs against. Prints the Module.symvers path.
# Usage: scripts/fetch-headers.sh [amd64|i386|s390x|arm64|ppc64el]
set -euo pipefail

arch=${1:-amd64}
top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache/kernel/$arch"

"$top/scripts/fetch-kernel.sh" "$arch" >/dev/null
package=$(sed 's/^linux-image-/linux-headers-/' "$cache/PACKAGE")

find_symvers() {
  find "$cache/headers/usr/src" -maxdepth 2 -name Module.symvers -print -quit 2>/dev/null
}

if [ -f "$cache/HEADERS_PACKAGE" ] && [ "$(cat "$cache/HEADERS_PACKAGE")" = "$package" ] && [ -n "$(find_symvers)" ]; then
  find_symvers
  exit 0
fi

. "$top/scripts/debian-apt.sh"

work=$(mktemp -d "$cache/.fetch-headers.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get "${apt_opts[@]}" -qq download "$package:$arch" >/dev/null 2>&1) || {
  apt-get "${apt_opts[@]}" -qq update >/dev/null 2>&1 || true
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "$package:$arch" >/dev/null)
}
dpkg-deb -x "$work"/*.deb "$work/headers"
rm -rf "$cache/headers"
mv "$work/headers" "$cache/headers"
echo "$package" > "$cache/HEADERS_PACKAGE"
symvers=$(find_symvers)
if [ -z "$symvers" ]; then
  echo "fetch-headers: $package holds no Module.symvers" >&2
  exit 1
fi
echo "$symvers"
