#!/usr/bin/env bash
# Install an edge package into a fresh Debian bookworm chroot and check it there:
#   image/deb/check.sh dist/edge_<version>_amd64.deb
#
# One mmdebstrap run (variant apt: the Essential packages and apt; then
# `apt-get install ./edge.deb` with its dependencies, as on a real system) whose
# hooks run inside the chroot: edge --version, edge config check on the shipped
# /etc/edge/site.toml, the controller's imports (pydantic-core, pymodbus, httpx:
# the wheels picked for the target), the edge user in dialout, /var/lib/edge
# 0700, systemd-analyze verify on the units, the provisioning script on a good
# and a bad site file. Nothing is kept (format null). Debian's .debs are cached
# in $EDGE_APT_CACHE (default ~/.cache/edge/apt) between runs.
set -euo pipefail
DEB=$(realpath "$1")
SUITE=${SUITE:-bookworm}
CACHE=${EDGE_APT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge/apt}
mkdir -p "$CACHE"
HERE=$(cd "$(dirname "$0")" && pwd)
# The chroot lives in RAM when it can (about 500 MB): unpacking and removing
# ~10,000 files on a busy disk was most of the wall time.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi

mmdebstrap --variant=apt --mode=root --format=null \
    --include=systemd \
    --dpkgopt=force-unsafe-io --aptopt='Acquire::Languages "none"' \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $CACHE /var/cache/apt/archives/" \
    --customize-hook="copy-in $HERE/inside.sh $DEB /tmp" \
    --customize-hook="chroot \"\$1\" apt-get install -y -q /tmp/$(basename "$DEB")" \
    --customize-hook="sync-out /var/cache/apt/archives $CACHE" \
    --customize-hook='chroot "$1" sh -eu /tmp/inside.sh' \
    "$SUITE" /dev/null
