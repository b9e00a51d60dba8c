#!/usr/bin/env bash
# Proves the thread-safety analysis is on and catches a guarded member used without its
# lock: guarded.cc compiles with clang's -Wthread-safety -Werror, and does not with VIOLATE.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}
if [ -z "$cxx" ]; then echo "clang++ not found: install clang (scripts/setup.sh)"; exit 1; fi
flags=(-std=c++20 -fsyntax-only -Wthread-safety -Werror -I"$src/src")
"$cxx" "${flags[@]}" "$src/tests/thread_safety/guarded.cc"
if "$cxx" "${flags[@]}" -DVIOLATE "$src/tests/thread_safety/guarded.cc" 2>/tmp/thread-safety-$$.log; then
  echo "FAIL: a guarded member read without its lock compiled"; exit 1
fi
grep -q "requires holding mutex" /tmp/thread-safety-$$.log || { cat /tmp/thread-safety-$$.log; exit 1; }
rm -f /tmp/thread-safety-$$.log
echo "thread safety: a guarded member read without its lock is refused"
