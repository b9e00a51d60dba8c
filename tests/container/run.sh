#!/usr/bin/env bash
# make test-container: the image, built and run the way an operator would, on this host.
#
#  1. Builds deploy/container/Containerfile with podman (runc, no registry: the Debian 12
#     base is made here with debootstrap), as the slim and the full variant.
#  2. Starts a testbed instance's authorities, publisher and services on the host
#     (`roadside testbed up --no-servers`) and runs its two Security Servers as containers of
#     the image: non-root, --read-only, the data directory a volume. A REST request from an
#     information system (curl) goes through both, signed and verified both ways.
#  3. Checks the HEALTHCHECK, SIGTERM as PID 1, and that the root filesystem is read-only.
#  4. Runs the sidecar model with `podman kube play`: a Pod of an example application and
#     Roadside, the application calling the service through its sidecar on localhost.
#  5. Prints the figures: image size, time from start to ready, RSS idle and under load.
#
# Usage: tests/container/run.sh [path/to/host/roadside]   (the host binary runs the testbed)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROADSIDE=$(realpath "${1:-build/dev/src/cli/roadside}")
source tests/container/podman-env.sh

failures=0
pass() { echo "ok:   $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
figure() { echo "figure: $*"; }
now_ms() { date +%s%3N; }

W=$CONTAINER_WORK/test
SS=(rs-test-ss1 rs-test-ss2)
POD=rs-test-sidecar
cleanup() {  # (each name on its own: podman rm stops at the first name it cannot find)
  podman kube down "$W/sidecar-pod.yaml" > /dev/null 2>&1 || true
  for c in "${SS[@]}"; do podman rm -f -i -t 2 "$c" > /dev/null 2>&1 || true; done
  if [ -n "${TESTBED_PID:-}" ]; then
    kill "$TESTBED_PID" 2> /dev/null || true
    wait "$TESTBED_PID" 2> /dev/null || true
    TESTBED_PID=
  fi
}
trap cleanup EXIT
cleanup
rm -rf "$W"
mkdir -p "$W"

# --- 1. the images -----------------------------------------------------------------------
ensure_base_image
for variant in slim full; do
  t0=$(now_ms)
  if ! podman build --pull=never --format docker -f deploy/container/Containerfile --build-arg VARIANT=$variant \
      -t localhost/roadside:$variant . > "$W/build-$variant.log" 2>&1; then
    tail -30 "$W/build-$variant.log"
    fail "podman build of the $variant image"
    exit 1
  fi
  size=$(podman image inspect --format '{{.Size}}' localhost/roadside:$variant)
  figure "image $variant: $((size / 1024 / 1024)) MiB ($size bytes), built in $(( ($(now_ms) - t0) / 1000 )) s"
done
[ "$(podman image inspect --format '{{.Config.User}}' localhost/roadside:slim)" = "10001:10001" ] \
  && pass "the image runs as UID 10001" || fail "the image's user is not 10001:10001"
podman image inspect --format '{{json .Config.Healthcheck}}' localhost/roadside:slim | grep -q healthcheck \
  && pass "the image has a HEALTHCHECK (roadside healthcheck)" || fail "the image has no HEALTHCHECK"
# No secret in any layer: key stores, PIN files, PEM private keys, the repository's test secrets.
for variant in slim full; do
  podman save --format docker-archive -o "$W/image-$variant.tar" localhost/roadside:$variant > /dev/null 2>> "$W/podman.log"
  if python3 tests/secrets/scan_image.py "$W/image-$variant.tar" > "$W/scan-$variant.txt" 2>&1; then
    pass "no secret in the $variant image: $(tail -1 "$W/scan-$variant.txt")"
  else
    cat "$W/scan-$variant.txt"; fail "secrets in the $variant image's layers"
  fi
  rm -f "$W/image-$variant.tar"
done

# The Debian package from the same build stage, installed on a fresh Debian 12 (its
# dependencies come from the mirror), and the systemd unit checked by systemd-analyze.
podman build --pull=never --format docker -f deploy/container/Containerfile --target build -t localhost/roadside-build:test . \
  > "$W/build-stage.log" 2>&1 || { tail -20 "$W/build-stage.log"; fail "the build stage"; exit 1; }
podman run --rm -v "$W:/out" localhost/roadside-build:test sh -c 'cp /build/roadside_*.deb /out/' \
  && DEB=$(ls "$W"/roadside_*.deb) && pass "the build made $(basename "$DEB") ($(( $(stat -c %s "$DEB") / 1024 / 1024 )) MiB)" \
  || fail "no .deb from the build stage"
if podman run --rm -v "$W:/pkg:ro" "$BASE_IMAGE" bash -c '
    set -e
    apt-get update -q > /dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /pkg/roadside_*.deb > /dev/null
    roadside version
    test "$(stat -c %U:%a /var/lib/roadside)" = roadside:700
    test "$(stat -c %G:%a /etc/roadside/secrets.env)" = roadside:640
    test -f /usr/lib/systemd/system/roadside.service
    id roadside' > "$W/deb-install.log" 2>&1; then
  pass "apt-get install of the .deb on a fresh Debian 12: $(grep -m1 '^roadside ' "$W/deb-install.log"), user roadside, /var/lib/roadside 0700"
else
  tail -20 "$W/deb-install.log"; fail "installing the .deb on a fresh Debian 12"
fi
sed "s|/usr/bin/roadside|$ROADSIDE|" deploy/systemd/roadside.service > "$W/roadside.service"
if command -v systemd-analyze > /dev/null; then
  systemd-analyze verify "$W/roadside.service" > "$W/unit.log" 2>&1 && pass "systemd-analyze verify roadside.service" \
    || { cat "$W/unit.log"; fail "systemd-analyze verify roadside.service"; }
fi

# An example information system: curl in a Debian image, calling through its sidecar.
podman build --pull=never -f tests/container/example-app/Containerfile -t localhost/roadside-example-app:test \
  tests/container/example-app > "$W/build-app.log" 2>&1 || { tail -20 "$W/build-app.log"; fail "example app image"; exit 1; }

# --- 2. a testbed instance; its servers in containers ------------------------------------
export XROAD_TOKEN_PIN="container-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
"$ROADSIDE" testbed init --dir "$W/instance" --servers 2 > /dev/null
INST="$W/instance"
"$ROADSIDE" testbed up --dir "$INST" --no-servers > "$W/testbed.log" 2>&1 &
TESTBED_PID=$!
for _ in $(seq 100); do grep -q '"testbed is up"' "$W/testbed.log" && break; sleep 0.1; done
grep -q '"testbed is up"' "$W/testbed.log" || { cat "$W/testbed.log"; fail "testbed up --no-servers"; exit 1; }

jq_() { python3 -c "import json,sys; d=json.load(open('$INST/instance.json')); print($1)"; }
# The servers' token folders are read by UID 10001 inside the containers.
chown -R 10001:10001 "$INST/servers"

run_server() {  # run_server N VARIANT: server N of the instance as a container
  local n=$1 variant=$2 name=${SS[$1]}
  mkdir -p "$W/data-ss$((n + 1))"
  chown 10001:10001 "$W/data-ss$((n + 1))"
  # (--health-interval disable: no systemd timer on a CI host; `podman healthcheck run` below)
  podman run -d --name "$name" --network host --read-only --health-interval disable \
    -v "$INST:$INST:ro" -v "$W/data-ss$((n + 1)):/var/lib/roadside" \
    -e ROADSIDE_CONFIG="$INST/servers/ss$((n + 1))/roadside.yaml" -e ROADSIDE_DATA_DIR=/var/lib/roadside \
    -e XROAD_TOKEN_PIN localhost/roadside:$variant > /dev/null 2>> "$W/podman.log"
}
wait_ready() {  # wait_ready URL: milliseconds until /readyz answers 200, or fails
  local t0 code
  t0=$(now_ms)
  for _ in $(seq 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1/readyz" || true)
    [ "$code" = 200 ] && { echo $(( $(now_ms) - t0 )); return 0; }
    sleep 0.05
  done
  return 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$(podman inspect --format '{{.State.Pid}}' "$1")/status"; }

H1=$(jq_ "d['servers'][0]['health_url']")
H2=$(jq_ "d['servers'][1]['health_url']")
CLIENT=$(jq_ "d['servers'][0]['client_http']")
ECHO_URL="http://$CLIENT/r1/DEV/COM/1002/SERVICE/echo/container?x=1"

# Start to ready: from `podman run` to the first /readyz 200 (the token logged in, the
# global configuration downloaded and verified, OCSP responses fetched).
t0=$(now_ms); run_server 1 full; wait_ready "$H2" > /dev/null && ready2=$(( $(now_ms) - t0 )) || ready2=
t0=$(now_ms); run_server 0 slim; wait_ready "$H1" > /dev/null && ready1=$(( $(now_ms) - t0 )) || ready1=
if [ -n "$ready1" ] && [ -n "$ready2" ]; then
  pass "both containers ready (/readyz 200)"
  figure "container start to ready (podman run to /readyz 200): ss2 full $ready2 ms, ss1 slim $ready1 ms"
else
  podman logs "${SS[0]}" 2>&1 | tail -20; podman logs "${SS[1]}" 2>&1 | tail -20
  fail "the containers did not become ready"
  exit 1
fi

code=$(curl -s -o "$W/echo.json" -w '%{http_code}' -H 'X-Road-Client: DEV/COM/1001/CLIENT' -H 'X-Demo: 1' "$ECHO_URL" || true)
if [ "$code" = 200 ] && grep -q '"/echo/container"' "$W/echo.json" && grep -q 'x=1' "$W/echo.json"; then
  pass "a REST request passed through two containers (ss1 slim -> ss2 full -> echo)"
else
  fail "REST through the containers: HTTP $code: $(head -c 400 "$W/echo.json")"
fi

# Non-root, read-only, no secret in the image.
for c in "${SS[@]}"; do
  uid=$(awk '/^Uid:/ {print $2}' "/proc/$(podman inspect --format '{{.State.Pid}}' "$c")/status")
  [ "$uid" = 10001 ] && pass "$c runs as UID 10001" || fail "$c runs as UID $uid"
  [ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$c")" = true ] \
    && pass "$c has a read-only root filesystem" || fail "$c root filesystem is writable"
done
podman exec "${SS[0]}" /usr/local/bin/roadside testbed init --dir /usr/local/x > "$W/ro.txt" 2>&1 || true
grep -qi 'read-only file system' "$W/ro.txt" && pass "writing to the root filesystem fails: read-only" \
  || fail "writing to the root filesystem: $(head -c 300 "$W/ro.txt")"
podman healthcheck run "${SS[0]}" > /dev/null 2>&1 && pass "podman healthcheck run: healthy" || fail "HEALTHCHECK failed"

# RSS idle and under load (wrk, 10 s, 8 connections, through both servers).
idle1=$(rss_kib "${SS[0]}"); idle2=$(rss_kib "${SS[1]}")
wrk -t2 -c8 -d10s -H 'X-Road-Client: DEV/COM/1001/CLIENT' "$ECHO_URL" > "$W/wrk.txt" 2>&1 &
WRK=$!
peak1=0; peak2=0
while kill -0 $WRK 2> /dev/null; do
  r=$(rss_kib "${SS[0]}"); [ "$r" -gt "$peak1" ] && peak1=$r
  r=$(rss_kib "${SS[1]}"); [ "$r" -gt "$peak2" ] && peak2=$r
  sleep 0.2
done
wait $WRK || true
rps=$(awk '/Requests\/sec/ {print $2}' "$W/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$W/wrk.txt")
figure "RSS idle: ss1 slim $((idle1 / 1024)) MiB, ss2 full $((idle2 / 1024)) MiB"
figure "RSS under load ($rps req/s, 8 connections, 10 s): ss1 slim peak $((peak1 / 1024)) MiB, ss2 full peak $((peak2 / 1024)) MiB"
[ -z "$non2xx" ] && [ -n "$rps" ] && pass "load through the containers: every response 2xx" \
  || fail "load: $(grep -E 'Non-2xx|Socket errors|Requests/sec' "$W/wrk.txt" | tr '\n' ' ')"

# SIGTERM as PID 1: podman stop must not need its SIGKILL.
t0=$(now_ms)
podman stop -t 10 "${SS[0]}" > /dev/null 2>> "$W/podman.log"
stop_ms=$(( $(now_ms) - t0 ))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "${SS[0]}")
if [ "$exit_code" = 0 ] && [ "$stop_ms" -lt 9000 ]; then
  pass "SIGTERM as PID 1: stopped in $stop_ms ms, exit 0"
else
  fail "SIGTERM as PID 1: exit $exit_code after $stop_ms ms"
fi
podman rm "${SS[0]}" > /dev/null 2>> "$W/podman.log"

# --- 4. the sidecar model: podman kube play ----------------------------------------------
mkdir -p "$W/data-pod"
chown 10001:10001 "$W/data-pod"
sed -e "s|@INSTANCE@|$INST|g" -e "s|@DATA@|$W/data-pod|g" -e "s|@ECHO_URL@|$ECHO_URL|g" \
    -e "s|@CONFIG@|$INST/servers/ss1/roadside.yaml|g" -e "s|@PIN@|$XROAD_TOKEN_PIN|g" \
    tests/container/sidecar-pod.yaml > "$W/sidecar-pod.yaml"
if podman kube play "$W/sidecar-pod.yaml" > "$W/kube-play.log" 2>&1; then
  pass "podman kube play started the sidecar Pod"
else
  cat "$W/kube-play.log"; fail "podman kube play"
fi
app_ok=
for _ in $(seq 300); do
  if podman logs $POD-app 2>&1 | grep -q '^app: 200 '; then app_ok=1; break; fi
  sleep 0.1
done
if [ -n "$app_ok" ]; then
  pass "in the Pod, the application called the service through its Roadside sidecar: $(podman logs $POD-app 2>&1 | grep -m1 '^app: 200 ')"
else
  podman logs $POD-app 2>&1 | tail -5; podman logs $POD-roadside 2>&1 | tail -10
  fail "the application in the Pod got no answer through its sidecar"
fi
uid=$(awk '/^Uid:/ {print $2}' "/proc/$(podman inspect --format '{{.State.Pid}}' $POD-roadside)/status" 2> /dev/null || echo '?')
[ "$uid" = 10001 ] && pass "the sidecar runs as UID 10001" || fail "the sidecar runs as UID $uid"
[ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' $POD-roadside)" = true ] \
  && pass "the sidecar's root filesystem is read-only" || fail "the sidecar's root filesystem is writable"

# Nothing of the test may be left running.
cleanup
left=$(podman ps -a --filter name=rs-test --format '{{.Names}}' | tr '\n' ' ')
[ -z "$left" ] && pass "the test's containers and Pod are gone" || fail "left running: $left"

echo
if [ "$failures" -eq 0 ]; then echo "container tests: all passed"; else echo "container tests: $failures failed"; exit 1; fi
