# Run inside the chroot by image/deb/check.sh (sh -eu): every line must pass.
step() { printf '==> inside the chroot: %s\n' "$*" >&2; }

step "edge --version"
edge --version
step "edge config check /etc/edge/site.toml"
edge config check /etc/edge/site.toml
step "the controller's imports (binary wheels for this target)"
/opt/edge/venv/bin/python3 -c 'import sys, edge.app, edge.uplink.ocpi.client.http_client, drivers.modbus.client, pydantic_core, serial; assert sys.prefix == "/opt/edge/venv", sys.prefix; print(sys.version.split()[0], sys.prefix)'
step "the edge user and its directories"
id edge
id -nG edge | tr ' ' '\n' | grep -qx dialout
[ "$(stat -c '%U %a' /var/lib/edge)" = "edge 700" ]
[ "$(stat -c '%U:%G %a' /etc/edge/site.toml)" = "root:edge 640" ]
step "systemd-analyze verify"
# verify exits 0 on warnings (an unknown key, a key in the wrong section): any
# output at all fails the check.
out=$(systemd-analyze verify /lib/systemd/system/edge.service /lib/systemd/system/edge-provision.service 2>&1) || { echo "$out" >&2; exit 1; }
[ -z "$out" ] || { echo "systemd-analyze verify: $out" >&2; exit 1; }
step "edge-provision: a bad site file is refused, a good one installed"
t=$(mktemp -d)
mkdir "$t/boot" "$t/etc" "$t/state"
printf '[site]\nid = 1\n' >"$t/boot/site.toml"
if /usr/lib/edge/edge-provision --boot "$t/boot" --etc "$t/etc" --state "$t/state"; then
    echo "edge-provision accepted a bad site file" >&2; exit 1
fi
grep -q '^rejected' "$t/state/site-check.txt"
[ ! -e "$t/etc/site.toml" ]
cp /etc/edge/site.toml "$t/boot/site.toml"
/usr/lib/edge/edge-provision --boot "$t/boot" --etc "$t/etc" --state "$t/state"
cmp /etc/edge/site.toml "$t/etc/site.toml"
step "all checks passed"
