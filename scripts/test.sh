#!/usr/bin/env bash
# npm test: install what is missing, build, lint, type-check, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf build
npx tsc -p tsconfig.json
node scripts/build.mjs
npx eslint --max-warnings 0 .
# Two test files at a time (Node's default on 2 processors is one). The guest suites, which
# keep a processor busy with QEMU for a minute or more each, are spread out among the others, so
# that usually one guest runs beside the quick files rather than two guests side by side.
mapfile -t unit < <(find build/test -name '*.test.js' -not -path 'build/test/vm/*' | sort)
mapfile -t guest < <(find build/test/vm -name '*.test.js' | sort)
files=()
placed=0
every=$(( ${#unit[@]} / (${#guest[@]} + 1) + 1 ))
for i in "${!unit[@]}"; do
  if (( i % every == 0 && placed < ${#guest[@]} )); then files+=("${guest[placed]}"); placed=$((placed + 1)); fi
  files+=("${unit[i]}")
done
files+=("${guest[@]:placed}")
node --test --test-concurrency=2 "${files[@]}"
