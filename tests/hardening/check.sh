#!/usr/bin/env bash
# The hardening an optimized build gets from cmake/Roadside.cmake, checked on the linked
# binary (what the image ships): a PIE, full RELRO (GNU_RELRO and BIND_NOW), stack canaries
# and glibc's fortified functions. Usage: check.sh path/to/roadside
set -euo pipefail
bin=${1:?usage: check.sh BINARY}
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" > /dev/null 2>&1; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
header=$(readelf -h "$bin")
dynamic=$(readelf -d "$bin")
segments=$(readelf -lW "$bin")
symbols=$(readelf --dyn-syms -W "$bin")
check "position-independent executable (ELF type DYN, FLAGS_1 PIE)" \
  bash -c 'grep -q "Type:.*DYN" <<< "$1" && grep -Eq "FLAGS_1.*PIE" <<< "$2"' _ "$header" "$dynamic"
check "read-only relocations (GNU_RELRO segment)" grep -q GNU_RELRO <<< "$segments"
check "every symbol bound at load (BIND_NOW: full RELRO)" grep -Eq "BIND_NOW|FLAGS_1.*NOW" <<< "$dynamic"
check "stack protector (__stack_chk_fail)" grep -q __stack_chk_fail <<< "$symbols"
check "_FORTIFY_SOURCE (glibc's __*_chk functions)" grep -Eq "__[a-z0-9_]+_chk(@|$| )" <<< "$symbols"
[ "$failures" -eq 0 ] && echo "hardening: $bin has every flag" || { echo "hardening: $failures missing in $bin"; exit 1; }
