#!/usr/bin/env bash
# npm test: install what is missing, build, lint, type-check, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf build
npx tsc -p tsconfig.json
node scripts/build.mjs
npx eslint --max-warnings 0 .
mapfile -t files < <(find build/test -name '*.test.js' | sort)
node --test "${files[@]}"
