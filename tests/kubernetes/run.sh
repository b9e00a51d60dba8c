#!/usr/bin/env bash
# make test-kubernetes: `kubectl kustomize` renders every overlay of deploy/kubernetes, and
# every rendered object validates against the Kubernetes schemas (the kubernetes-models npm
# package, pinned in package-lock.json) and Roadside's rules (restricted Pod Security
# Standard, probes, resources, deny-by-default NetworkPolicies). The cluster's secondaries use
# X-Road's Sidecar probe form (GET / on 5588). A file of known mistakes must fail, each
# mistake reported.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=build/k8s
mkdir -p "$W"
cp tests/kubernetes/package.json tests/kubernetes/package-lock.json tests/kubernetes/validate.mjs tests/kubernetes/xroad_probe.mjs "$W/"
if ! cmp -s tests/kubernetes/package-lock.json "$W/node_modules/.roadside-lock" 2> /dev/null; then
  (cd "$W" && npm ci --no-audit --no-fund --loglevel=error)
  cp tests/kubernetes/package-lock.json "$W/node_modules/.roadside-lock"
fi
command -v kubectl > /dev/null || { echo "kubernetes: kubectl is not installed" >&2; exit 1; }

failures=0
overlays=0
for dir in deploy/kubernetes/overlays/*/; do
  name=$(basename "$dir")
  overlays=$((overlays + 1))
  if ! kubectl kustomize "$dir" > "$W/$name.yaml" 2> "$W/$name.err"; then
    echo "FAIL: kubectl kustomize $dir: $(cat "$W/$name.err")"
    failures=$((failures + 1))
    continue
  fi
  node "$W/validate.mjs" "$W/$name.yaml" "overlay $name" || failures=$((failures + 1))
done
[ "$overlays" -eq 4 ] || { echo "FAIL: expected the four models' overlays, found $overlays"; failures=$((failures + 1)); }

# The cluster's secondaries are probed in X-Road's Sidecar form (GET / on 5588, X-Road's health
# check); the check itself must fail on an overlay that probes /readyz.
node "$W/xroad_probe.mjs" "$W/cluster.yaml" roadside-secondary || failures=$((failures + 1))
if node "$W/xroad_probe.mjs" "$W/single.yaml" roadside > "$W/xroad_probe.out"; then
  echo "FAIL: the X-Road probe check accepted the single overlay's /readyz probe"
  failures=$((failures + 1))
fi

# The validator itself: every planted mistake must be reported.
if node "$W/validate.mjs" tests/kubernetes/broken.yaml broken > "$W/broken.out"; then
  echo "FAIL: the validator accepted tests/kubernetes/broken.yaml"
  failures=$((failures + 1))
fi
for expect in "replicas must be integer" "containerPort must be integer" "unknown kind apps/v1beta9 Deployment" \
              "runs as UID 0" "allowPrivilegeEscalation is not false" "volume host of type hostPath" \
              "no liveness probe on /livez" "not labelled pod-security.kubernetes.io/enforce=restricted" \
              "no deny-by-default NetworkPolicy" "readiness probe on / is not on the health port"; do
  grep -qF "$expect" "$W/broken.out" || { echo "FAIL: the validator did not report: $expect"; failures=$((failures + 1)); }
done
[ "$failures" -eq 0 ] && echo "kubernetes: $overlays overlays render and validate; the validator catches the planted mistakes" \
  || { cat "$W/broken.out"; echo "kubernetes: $failures failed"; exit 1; }
