#!/usr/bin/env bash
# Build the edge Debian package: ./dev deb [--arch amd64|arm64] [--out DIR]
#
# The controller and its dependencies go into /opt/edge/venv, a virtualenv for
# Debian's own python3.11 (bookworm's, Raspberry Pi OS's): its bin/python3
# points at /usr/bin/python3.11, its site-packages holds the wheels pip picks
# for the target (cp311, manylinux for glibc 2.36, the target's CPU), so one
# recipe builds for amd64 (CI's chroot) and arm64 (the Pi) on this machine, with
# nothing compiled and no pip on the target. The venv is laid out here rather
# than made by `python3 -m venv`, whose absolute paths would name the build
# directory; the byte code is compiled for the installed paths.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
ARCH=$(dpkg --print-architecture)
OUT=$ROOT/dist
while [ $# -gt 0 ]; do
    case "$1" in
        --arch) ARCH=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: ./dev deb [--arch amd64|arm64] [--out DIR]" >&2; exit 2 ;;
    esac
done
case "$ARCH" in
    amd64) CPU=x86_64 ;;
    arm64) CPU=aarch64 ;;
    *) echo "unsupported architecture $ARCH (amd64 or arm64)" >&2; exit 2 ;;
esac
# Wheels for glibc 2.36 (bookworm) and every older manylinux: pip takes the
# --platform tags literally.
PLATFORM=manylinux_2_36_$CPU
PLATFORMS=(--platform "manylinux2014_$CPU")
for minor in $(seq 17 36); do PLATFORMS+=(--platform "manylinux_2_${minor}_$CPU"); done

PYVER=3.11
SITE=opt/edge/venv/lib/python$PYVER/site-packages
BASE_VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
if git rev-parse --git-dir >/dev/null 2>&1; then
    export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
    VERSION="$BASE_VERSION+git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$(git rev-parse --short=8 HEAD)"
    git diff --quiet HEAD -- edge drivers hal_sim pyproject.toml image || VERSION="$VERSION.dirty"
else
    export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
    VERSION=$BASE_VERSION
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/edge-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/root
mkdir -p "$STAGE/DEBIAN" "$STAGE/$SITE" "$STAGE/opt/edge/venv/bin" "$WORK/wheels"

echo "edge $VERSION for $ARCH ($PLATFORM): building the wheel" >&2
"$PY" -m pip wheel -q --no-deps -w "$WORK/wheels" . 2>&1 | grep -v '^WARNING: Location' >&2 || true
WHEEL=$(ls "$WORK"/wheels/*.whl)

echo "installing it and its dependencies for cp311 $PLATFORM" >&2
# Wheels for the target are kept in $WHEELS: a rebuild resolves the same
# pyproject ranges offline against them, and fetches only when they fall short.
WHEELS=${EDGE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge/wheels}/cp311-$CPU
mkdir -p "$WHEELS"
TARGET=(--platform "$PLATFORM" "${PLATFORMS[@]}" --python-version "$PYVER"
        --implementation cp --abi cp311 --only-binary=:all:)
pip_quiet() {  # pip without the index's noise; its exit status kept
    local rc=0
    "$PY" -m pip "$@" >"$WORK/pip.log" 2>&1 || rc=$?
    grep -v '^WARNING: Location' "$WORK/pip.log" >&2 || true
    return "$rc"
}
if ! pip_quiet install -q --no-compile --no-index --find-links "$WHEELS" \
        --target "$STAGE/$SITE" "${TARGET[@]}" "$WHEEL" 2>/dev/null; then
    echo "fetching the wheels missing from $WHEELS" >&2
    rm -rf "$STAGE/$SITE" && mkdir -p "$STAGE/$SITE"
    pip_quiet download -q -d "$WHEELS" "${TARGET[@]}" "$WHEEL"
    rm -f "$WHEELS/$(basename "$WHEEL")"
    pip_quiet install -q --no-compile --no-index --find-links "$WHEELS" \
        --target "$STAGE/$SITE" "${TARGET[@]}" "$WHEEL"
fi
[ -d "$STAGE/$SITE/edge" ] || { echo "pip did not install edge into the package" >&2; exit 1; }
rm -rf "$STAGE/$SITE/bin"   # scripts made for this machine's python: ours follow
"$PY" -m pip freeze --path "$STAGE/$SITE" >"$STAGE/opt/edge/requirements.lock"

# The virtualenv around it, for the target's /usr/bin/python3.11.
V=$STAGE/opt/edge/venv
ln -s /usr/bin/python$PYVER "$V/bin/python$PYVER"
ln -s python$PYVER "$V/bin/python3"
ln -s python$PYVER "$V/bin/python"
printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = %s\n' \
    "$PYVER" >"$V/pyvenv.cfg"
for script in edge:edge.cli hal-sim:hal_sim.cli; do
    name=${script%%:*}
    module=${script#*:}
    printf '#!/opt/edge/venv/bin/python3\nimport sys\n\nfrom %s import main\n\nsys.exit(main())\n' \
        "$module" >"$V/bin/$name"
    chmod 755 "$V/bin/$name"
done
# Byte code for the paths it is installed at (the root file system is read-only
# on the image: nothing can be compiled there). Unchecked hashes: dpkg replaces
# source and byte code together.
"$PY" -m compileall -q -j 0 --invalidation-mode unchecked-hash \
    -s "$STAGE" -p / "$STAGE/$SITE" >/dev/null

# System files.
install -D -m 0644 image/systemd/edge.service "$STAGE/lib/systemd/system/edge.service"
install -D -m 0644 image/systemd/edge-provision.service "$STAGE/lib/systemd/system/edge-provision.service"
install -D -m 0644 image/udev/70-edge-serial.rules "$STAGE/lib/udev/rules.d/70-edge-serial.rules"
install -D -m 0644 image/udev/71-edge-names.rules.template "$STAGE/usr/share/edge/udev/71-edge-names.rules.template"
install -D -m 0755 image/provision/edge-provision "$STAGE/usr/lib/edge/edge-provision"
install -D -m 0640 config/site.example.toml "$STAGE/etc/edge/site.toml"
install -D -m 0644 config/site.example.toml "$STAGE/usr/share/doc/edge/site.example.toml"
install -D -m 0644 README.md "$STAGE/usr/share/doc/edge/README.md"
mkdir -p "$STAGE/usr/bin"
ln -s /opt/edge/venv/bin/edge "$STAGE/usr/bin/edge"

# Control files.
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" image/deb/control.in >"$STAGE/DEBIAN/control"
printf 'Installed-Size: %s\n' "$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)" >>"$STAGE/DEBIAN/control"
echo /etc/edge/site.toml >"$STAGE/DEBIAN/conffiles"
install -m 0755 image/deb/postinst image/deb/prerm image/deb/postrm "$STAGE/DEBIAN/"

find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$OUT"
DEB=$OUT/edge_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zgzip -z6 --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
