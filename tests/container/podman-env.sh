# Sourced by the container tests: podman settings that work on a CI host without a Docker
# engine or registry (runc, because crun refuses hybrid cgroups; ulimits within what root
# may set without CAP_SYS_RESOURCE; cgroupfs), storage under the build folder, and a
# Debian 12 base image made locally with debootstrap when it is not there yet.
#   ROADSIDE_CONTAINER_WORK   working folder (default build/container)
set -euo pipefail

CONTAINER_WORK=${ROADSIDE_CONTAINER_WORK:-$(pwd)/build/container}
mkdir -p "$CONTAINER_WORK/conf"
cat > "$CONTAINER_WORK/conf/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
CONF
cat > "$CONTAINER_WORK/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$CONTAINER_WORK/storage"
runroot = "$CONTAINER_WORK/run"
CONF
export CONTAINERS_CONF="$CONTAINER_WORK/conf/containers.conf"
export CONTAINERS_STORAGE_CONF="$CONTAINER_WORK/conf/storage.conf"

# The base image: Debian 12 minbase from the package mirror, tagged with the name the
# Containerfile's BASE defaults to, so a build needs no registry (--pull=never).
BASE_IMAGE=docker.io/library/debian:bookworm-slim
ensure_base_image() {
  if podman image exists "$BASE_IMAGE"; then return 0; fi
  local rootfs="$CONTAINER_WORK/rootfs"
  echo "container: making the Debian 12 base image with debootstrap"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$CONTAINER_WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$CONTAINER_WORK/debootstrap.log"; return 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner -cf "$CONTAINER_WORK/bookworm-minbase.tar" .
  podman import --change 'CMD ["/bin/bash"]' "$CONTAINER_WORK/bookworm-minbase.tar" "$BASE_IMAGE" > /dev/null
  rm -rf "$rootfs" "$CONTAINER_WORK/bookworm-minbase.tar"
}
