#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build/fuzz) and runs each for FUZZ_SECONDS
# (default 600), FUZZ_JOBS of them at a time (default 1; one core each), on a copy of its
# corpus, so a run's new inputs never land in the repository by accident. `make fuzz` runs
# every target; name some to narrow:
#   FUZZ_SECONDS=60 FUZZ_JOBS=2 tests/fuzz/run.sh markup_fuzz rest_path_fuzz
# The summary has a line per target (executions, executions a second, coverage, exit status,
# findings) and the total executions of the run; the exit status is 1 when a target found
# something or failed.
# Needs clang 14 and libFuzzer (Debian: clang-14, libclang-rt-14-dev). A crash stops that
# target's run and leaves crash-<sha1> in build/fuzz/runs/<target>/; the summary lists it.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
build=${FUZZ_BUILD:-build/fuzz}
# Every target tests/fuzz/CMakeLists.txt registers, so none is forgotten here.
mapfile -t all < <(grep -o 'roadside_fuzz_target([a-z0-9_]*' "$(dirname "$0")/CMakeLists.txt" | sed 's/.*(//')
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# The corpus directory of each target and the longest input worth trying.
corpus_of() {
  echo "tests/fuzz/corpus/$(sed -n "s/^roadside_fuzz_target($1 CORPUS \([a-z0-9_]*\).*/\1/p" tests/fuzz/CMakeLists.txt)"
}
max_len_of() {
  case $1 in
    identifiers_fuzz | rest_path_fuzz | ocsp_fuzz | timestamp_fuzz | subject_fuzz | admin_ids_fuzz) echo 4096 ;;
    xades_fuzz | transport_fuzz | markup_fuzz | asic_fuzz | management_fuzz | wsdl_fuzz | openapi_fuzz) echo 16384 ;;
    transport_stream_fuzz | soap_fuzz | keyconf_fuzz) echo 16384 ;;
    parameters_fuzz) echo 32768 ;;  # X-Road's V6 shared parameters with their certificates: 19 KB
    pg_dump_fuzz | xroad_backup_fuzz | backup_file_fuzz) echo 65536 ;;
    http_head_fuzz) echo 131072 ;;  # a header part from a peer may hold values beyond HTTP's 64 KiB fields
    *) echo 8192 ;;
  esac
}

if [ ! -f "$build/build.ninja" ]; then
  CXX=${CXX:-clang++} CC=${CC:-clang} cmake -B "$build" -G Ninja -DROADSIDE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" --target "${targets[@]}"

# One target's run; its summary line in $build/runs/<target>/summary.
run_one() {
  local t=$1 work="$build/runs/$1" status=0
  rm -rf "$work" && mkdir -p "$work/corpus"
  cp -r "$(corpus_of "$t")/." "$work/corpus/"
  echo "== $t: ${seconds}s on $(corpus_of "$t")"
  (cd "$work" && "$root/$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=25 \
    -max_len="$(max_len_of "$t")" -print_final_stats=1 corpus) >"$work/log" 2>&1 || status=$?
  local execs rate cov crashes
  execs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$work/log")
  rate=$(awk '/^stat::average_exec_per_sec/ {print $2}' "$work/log")
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$work/log" | tail -1 || true)
  crashes=$(cd "$work" && find . -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -printf '%f ')
  echo "$t: execs/exec-per-s ${execs:-0} ${rate:-?} | $cov | exit $status | ${crashes:-no crash}" >"$work/summary"
}
root=$(pwd)
export -f run_one corpus_of max_len_of
export build seconds root
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}

total=0
found=0
for t in "${targets[@]}"; do
  cat "$build/runs/$t/summary"
  total=$((total + $(awk '{print $3}' "$build/runs/$t/summary")))
  grep -q '| exit 0 | no crash$' "$build/runs/$t/summary" || found=$((found + 1))
done
echo "total: $total executions in ${#targets[@]} targets (${seconds} s each, $jobs at a time)"
if [ "$found" -gt 0 ]; then
  echo "fuzz: $found target(s) found something or failed: see their lines above and build/fuzz/runs/<target>/" >&2
  exit 1
fi
