#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine with Node 20: npm packages, Debian
# packages (kmod is the peer the tests compare with), and the Debian kernels used as fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ "${CI:-}" = "true" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# test/package installs the packed tarball offline: npm's cache must also hold the metadata of
# the production dependencies, which npm ci does not fetch.
offline_stamp=.cache/npm-offline-$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$offline_stamp" ]; then
  mapfile -t deps < <(node scripts/production-deps.mjs)
  npm cache add --loglevel=error "${deps[@]}" && mkdir -p .cache && touch "$offline_stamp"
fi

need=()
command -v depmod >/dev/null || need+=(kmod)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for arch in amd64 i386 s390x arm64; do
  scripts/fetch-kernel.sh "$arch" >/dev/null
done
scripts/fetch-headers.sh amd64 >/dev/null

# The QEMU guests of test/vm/, bench/vm and npm run demo: qemu-system-x86, busybox-static;
# qemu-system-arm and the aarch64 cross compilers for the arm64 guest.
bash scripts/vm/host-packages.sh
# The arm64 guest's userland and cross-built addons, cached under .cache/vm/arm64/.
scripts/vm/arm64/base.sh >/dev/null
scripts/vm/arm64/addons.sh >/dev/null
