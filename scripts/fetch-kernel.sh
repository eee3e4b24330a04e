#!/usr/bin/env bash
# Fetches the Debian kernel package that linux-image-<flavour> currently depends on and unpacks it
# (dpkg-deb -x, nothing is installed) into .cache/kernel/<arch>/root. Prints that root directory.
# Usage: scripts/fetch-kernel.sh [amd64|i386|s390x|arm64|ppc64el]
# A cache that already holds the package the metapackage names is reused; when the package lists
# cannot be read (no network) an existing cache is reused as it is.
set -euo pipefail

arch=${1:-amd64}
case "$arch" in
  amd64) flavour=amd64 ;;
  i386) flavour=686 ;;
  arm64) flavour=arm64 ;;
  ppc64el) flavour=powerpc64le ;;
  s390x) flavour=s390x ;;
  *) echo "fetch-kernel: unknown architecture '$arch'" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache/kernel/$arch"
mkdir -p "$cache"
. "$top/scripts/debian-apt.sh"

resolve() {
  apt-cache "${apt_opts[@]}" depends "linux-image-$flavour" 2>/dev/null \
    | awk '/^ *Depends: linux-image-/ { print $2; exit }'
}

package=$(resolve || true)
if [ -z "$package" ]; then
  apt-get "${apt_opts[@]}" -qq update >/dev/null 2>&1 || true
  package=$(resolve || true)
fi
if [ -z "$package" ]; then
  if [ -f "$cache/PACKAGE" ] && [ -d "$cache/root" ]; then
    echo "fetch-kernel: cannot resolve linux-image-$flavour; reusing $(cat "$cache/PACKAGE")" >&2
    echo "$cache/root"
    exit 0
  fi
  echo "fetch-kernel: cannot resolve the package behind linux-image-$flavour ($arch)" >&2
  exit 1
fi

if [ -f "$cache/PACKAGE" ] && [ "$(cat "$cache/PACKAGE")" = "$package" ] && [ -d "$cache/root" ]; then
  echo "$cache/root"
  exit 0
fi

work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get "${apt_opts[@]}" -qq download "$package:$arch" >/dev/null 2>&1) || {
  apt-get "${apt_opts[@]}" -qq update >/dev/null 2>&1 || true
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "$package:$arch" >/dev/null)
}
deb=$(ls "$work"/*.deb)
dpkg-deb -x "$deb" "$work/root"
rm -rf "$cache/root"
mv "$work/root" "$cache/root"
echo "$package" > "$cache/PACKAGE"
basename "$deb" > "$cache/DEB"
echo "$cache/root"
