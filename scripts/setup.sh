#!/usr/bin/env bash
# Installs every Debian 12 package Roadside needs to build, test and run its demo.
# Idempotent and non-interactive; needs root (or sudo). Safe to run again.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format clang-tidy
  clang-tidy-14  # scripts/tidy.sh calls clang-tidy-14 and run-clang-tidy-14 by name
  libclang-rt-14-dev
  # libraries (DESIGN.md §6)
  libboost1.81-dev libssl-dev openssl libxml2-dev
  libsqlite3-dev sqlite3 libpq-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libcli11-dev libzip-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev postgresql-15 curl python3 procps libxml2-utils
  # make bench: the load generator and the reverse proxy Roadside is measured against
  wrk nginx-light
  # the cluster test's load balancer (TCP mode, TLS passthrough, HTTP health checks)
  haproxy
  # a real SOAP client for the message exchange tests
  python3-zeep
  # message-log archive encryption (X-Road's archive-encryption-enabled runs gpg) and its tests
  gnupg
  # PKCS#11 tokens: the standard's header (p11-kit's), and SoftHSM2 as the device the tests use
  libp11-kit-dev softhsm2
  # the admin-API responses checked against X-Road's OpenAPI document (tests/adminapi)
  python3-yaml python3-jsonschema
  # the fault suite's TLS attackers: certificates expired, self-signed (tests/faults)
  python3-cryptography
  # make test-container: podman with runc (crun refuses this host's hybrid cgroups), and
  # debootstrap for a Debian base image made locally (no registry is used), catatonit for
  # the infra container of `podman kube play`
  podman runc buildah debootstrap catatonit
  # the monitoring test scrapes a testbed with a real Prometheus and queries it with PromQL
  prometheus
  # independent verifiers the interoperability tests run (the JDK XML-signature API)
  openjdk-17-jdk-headless
  # the admin console's end-to-end test: a real headless browser, its driver, and a font to
  # draw the screenshots with (tests/console)
  chromium chromium-driver python3-selenium fonts-dejavu-core
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
else
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "setup: need root to install: ${missing[*]}" >&2; exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The S3-compatible server of the message-log archive transfer test: s3rver and the AWS SDK's
# request signer, at the versions tests/s3/package-lock.json pins, installed in tests/s3 (not
# globally). Node.js and npm come from Debian unless the machine has them. Without them the
# test skips and says why; nothing else needs them, so a failure here only warns.
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "setup: installing nodejs npm (for tests/s3)"
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends nodejs npm; } || true
  fi
fi
s3dir="$(cd "$(dirname "$0")/.." && pwd)/tests/s3"
if command -v npm >/dev/null; then
  if [ ! -f "$s3dir/node_modules/.package-lock.json" ] || [ "$s3dir/package-lock.json" -nt "$s3dir/node_modules/.package-lock.json" ]; then
    echo "setup: installing tests/s3's node packages (s3rver)"
    (cd "$s3dir" && npm ci --no-audit --no-fund --loglevel=error) ||
      echo "setup: WARNING: npm ci failed in tests/s3: the S3 transfer tests will skip" >&2
  fi
else
  echo "setup: WARNING: no npm: the S3 transfer tests will skip" >&2
fi
