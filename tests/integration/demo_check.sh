#!/usr/bin/env bash
# `make demo` in batch mode: the instance comes up and the REST, SOAP and refused requests
# print what they should; ss1's console answers, and the API key it prints the path of opens it.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$(DEMO_DIR="$dir/demo" DEMO_BATCH=1 timeout 120 bash "$(dirname "$0")/../../scripts/demo.sh" "$bin" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
for want in "every server ready" "HTTP/1.1 200 OK" "x-road-request-hash:" "getRandomResponse" "<xrd:requestHash" \
            "X-Road-Error: server.serverproxy.access_denied" 'roadside_signatures_total' "(answers 200;"; do
  grep -qF -- "$want" <<<"$out" || { echo "demo_check: missing \"$want\""; exit 1; }
done
# The key is in a file only its owner reads, never in the output.
key_file="$dir/demo/ss1-console-key"
[ "$(stat -c %a "$key_file")" = 600 ] || { echo "demo_check: $key_file is not owner-only"; exit 1; }
if grep -qF -- "$(cat "$key_file")" <<<"$out"; then echo "demo_check: the console key is in the output"; exit 1; fi
echo "demo_check: ok"
