#!/usr/bin/env bash
# clang-tidy 14 with the root .clang-tidy over Roadside's own sources under src/ (product code
# and the unit tests beside it; not tests/, not build/). Headers under src/ are checked as the
# sources include them. Exits non-zero on any finding. `make tidy` runs it; so does CI.
#
# It configures its own build folder, build/tidy, with clang and a compile database. Nothing is
# built: no header is generated at build time. The one generated source, the console's embedded
# files (src/console/CMakeLists.txt), lies in the build folder, outside the pattern below, and
# no source includes it; if a generated header ever appears, build its target here first.
#
# TIDY_SCOPE picks the sources: all (default), product (every source but the unit tests,
# *_test.cc) or tests (the unit tests only). CI runs product as a gate and tests where its time
# budget allows (.ci/run): a full run is about 30 minutes of a slow 2-core machine.
# TIDY_JOBS (default: the number of cores) sets how many clang-tidy processes run at once.
# The full log, colours removed, is left in build/tidy/tidy.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=build/tidy
jobs=${TIDY_JOBS:-$(nproc)}
scope=${TIDY_SCOPE:-all}
# The regex run-clang-tidy matches against each source's path (Python's re).
case "$scope" in
  all) pattern="^$root/src/" ;;
  product) pattern="^$root/src/.*(?<!_test)\.cc\$" ;;
  tests) pattern="^$root/src/.*_test\.cc\$" ;;
  *)
    echo "tidy: TIDY_SCOPE=$scope: expected all, product or tests" >&2
    exit 2
    ;;
esac

for tool in clang-tidy-14 run-clang-tidy-14 clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "tidy: $tool not found; run scripts/setup.sh" >&2
    exit 2
  fi
done

mkdir -p "$build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log" >&2
  echo "tidy: cmake failed" >&2
  exit 2
}

files=$(grep -o "\"file\": \"$root/src/[^\"]*" "$build/compile_commands.json" | sed 's/^"file": "//' |
  grep -cP "$pattern" || true)
echo "tidy: clang-tidy-14 on $files files under src/ ($scope) with $jobs jobs"
start=$(date +%s)
# The file argument is a regex on each source's path in the compile database; the header
# filter is anchored to this checkout's src/ (.clang-tidy's own one is looser).
set +e
run-clang-tidy-14 -clang-tidy-binary clang-tidy-14 -p "$build" -j "$jobs" -quiet \
  -header-filter="^$root/src/" "$pattern" 2>&1 |
  sed -u 's/\x1b\[[0-9;]*m//g' | tee "$build/tidy.log" |
  awk -v root="$root/" '
    /^clang-tidy-14 / { f = $NF; sub(root, "", f); print "tidy: " f; fflush(); next }
    /^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$/ { next }
    /^[0-9]+ errors? generated\.$/ { next }
    { print; fflush() }'
status=${PIPESTATUS[0]}
set -e

# A finding in a header is reported once per source that includes it: count each once.
findings=$(grep -E '^/[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$build/tidy.log" | sort -u || true)
count=$(printf '%s' "$findings" | grep -c . || true)
echo "tidy: $(( $(date +%s) - start )) s"
if [ "$count" -gt 0 ] || [ "$status" -ne 0 ]; then
  echo "tidy: FAILED: $count distinct finding(s) (clang-tidy exit $status):"
  printf '%s\n' "$findings" | sed "s|^$root/||"
  exit 1
fi
echo "tidy: clean"
