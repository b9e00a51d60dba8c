#!/usr/bin/env bash
# `make demo` in batch mode: the instance comes up and the REST, SOAP and refused requests
# print what they should.
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$(DEMO_DIR="$dir/demo" DEMO_BATCH=1 timeout 120 bash "$(dirname "$0")/../../scripts/demo.sh" "$bin" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
for want in "every server ready" "HTTP/1.1 200 OK" "x-road-request-hash:" "getRandomResponse" "<xrd:requestHash" \
            "X-Road-Error: server.serverproxy.access_denied" 'roadside_signatures_total'; do
  grep -qF -- "$want" <<<"$out" || { echo "demo_check: missing \"$want\""; exit 1; }
done
echo "demo_check: ok"
