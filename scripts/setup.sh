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
  libboost1.81-dev libssl-dev openssl libxml2-dev libxmlsec1-dev libxmlsec1-openssl
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
  # the admin-API responses checked against X-Road's OpenAPI document (tests/adminapi)
  python3-yaml python3-jsonschema
  # make test-container: podman with runc (crun refuses this host's hybrid cgroups), and
  # debootstrap for a Debian base image made locally (no registry is used), catatonit for
  # the infra container of `podman kube play`
  podman runc buildah debootstrap catatonit
  # independent verifiers the interoperability tests run (the JDK XML-signature API)
  openjdk-17-jdk-headless
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
