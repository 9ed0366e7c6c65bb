#!/usr/bin/env bash
# Installs thingd as a systemd service on Raspberry Pi OS / Debian:
#   /opt/thingd                       the app (package.json, dist/, production node_modules, bin/thingd)
#   /usr/local/bin/thingd             symlink to /opt/thingd/bin/thingd
#   /etc/systemd/system/thingd.service
#   /etc/thingd/sensors.yaml          from examples/sensors.yaml, only if absent (root:thingd 0640)
#   /var/lib/thingd                   the Thing's state (thingd:thingd 0750; the state file itself 0600)
# and a `thingd` system user in the gpio, i2c, dialout and spi groups (created if missing).
# Running it again upgrades the app and keeps the sensor map, the password and the state.
#
#   sudo systemd/install.sh [--root DIR] [--source DIR] [--node PATH] [--no-systemctl] [--skip-npm] [--registry]
#
# --registry also installs thingd-registry (the XEP-0347 Thing Registry, an XMPP component):
#   /etc/systemd/system/thingd-registry.service, /usr/local/bin/thingd-registry,
#   /etc/thingd-registry/registry.yaml (from examples/registry.yaml, only if absent),
#   /var/lib/thingd-registry and a `thingd-registry` system user.
#
# --root lays everything under DIR (a test folder or an image being built); DIR must already be
# a system root with a user database (DIR/etc/passwd and DIR/etc/group), because useradd and
# groupadd --root edit it in there; an empty folder is refused.
# Building from source (no --skip-npm) needs make, g++ and python3: apt-get install build-essential python3.
set -euo pipefail

readonly APP_DIR=/opt/thingd
readonly UNIT_NAME=thingd.service
readonly SERVICE_USER=thingd
readonly STATE_DIR=/var/lib/thingd
readonly CONFIG_DIR=/etc/thingd
# The udev groups Raspberry Pi OS gives the hardware device nodes to (99-com.rules); the unit's
# SupplementaryGroups= names the same four, and a missing one fails the start (216/GROUP).
readonly HW_GROUPS=(gpio i2c dialout spi)
# package.json's engines.node is ">=22" (Node 20 reached end of life in April 2026); the .deb
# ships Node 24 LTS itself (docs/packaging.md), this installer uses the system's.
readonly MIN_NODE_MAJOR=22 MIN_NODE_MINOR=0

prog=$(basename "$0")
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*"; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }

usage() {
  cat <<EOF
Usage: $prog [options]

Installs thingd under $APP_DIR with a systemd unit, a '$SERVICE_USER' system user and
$CONFIG_DIR/sensors.yaml (kept if it exists). Run as root.

Options:
  --root DIR      install under DIR instead of / (DIR/etc/passwd must exist; implies --no-systemctl)
  --source DIR    the thingd checkout to install from (default: the one containing this script)
  --node PATH     the Node.js binary to check and to run thingd with (default: node on PATH)
  --no-systemctl  do not run 'systemctl daemon-reload'
  --skip-npm      do not run 'npm ci --omit=dev' (keeps an existing node_modules; for tests)
  --registry      also install thingd-registry, the Thing Registry component, with its unit
  -h, --help      this text
EOF
}

# --- options -------------------------------------------------------------------------------
root=/
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_arg=""
use_systemctl=1
skip_npm=${THINGD_SKIP_NPM:-0}
with_registry=0

need_value() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then usage >&2; die "$1 needs a value"; fi
}
while [ "$#" -gt 0 ]; do
  case $1 in
    --root) need_value "$@"; root=$2; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    --source) need_value "$@"; source_dir=$2; shift 2 ;;
    --source=*) source_dir=${1#*=}; shift ;;
    --node) need_value "$@"; node_arg=$2; shift 2 ;;
    --node=*) node_arg=${1#*=}; shift ;;
    --no-systemctl) use_systemctl=0; shift ;;
    --skip-npm) skip_npm=1; shift ;;
    --registry) with_registry=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; printf '%s: error: unknown option: %s\n' "$prog" "$1" >&2; exit 64 ;;
  esac
done

[ -d "$root" ] || die "--root $root: no such directory"
root=$(cd "$root" && pwd -P)
# R is prepended to every target path; empty for the real root so messages show plain paths.
if [ "$root" = / ]; then R=""; else R=$root; use_systemctl=0; fi
[ -d "$source_dir" ] || die "--source $source_dir: no such directory"
source_dir=$(cd "$source_dir" && pwd -P)
if [ ! -f "$source_dir/package.json" ] || [ ! -f "$source_dir/package-lock.json" ]; then
  die "$source_dir is not a thingd checkout (package.json and package-lock.json expected)"
fi

# --- Node.js ≥ 22 --------------------------------------------------------------------------
# Checked first, before anything is changed: a Pi with Debian's nodejs package (Node 18 on
# Bookworm) is the most common way this fails.
node_help="Install Node.js 24 LTS system-wide, e.g. from NodeSource:
    curl -fsSL https://deb.nodesource.com/setup_24.x | sudo -E bash -
    sudo apt-get install -y nodejs
  (Debian's own 'nodejs' package is Node 18 on Bookworm, too old), or pass --node PATH,
  or install the thingd .deb, which brings its own Node."
if [ -n "$node_arg" ]; then
  node_bin=$node_arg
else
  node_bin=$(command -v node) || die "Node.js not found on PATH.
  $node_help"
fi
# An absolute path: it is written into bin/thingd and the unit, which run with another PATH.
case $node_bin in
  /*) ;;
  */*) node_bin=$(cd "$(dirname "$node_bin")" && pwd)/$(basename "$node_bin") ;;
  *) node_bin=$(command -v "$node_bin") || die "--node $node_arg: not found" ;;
esac
[ -x "$node_bin" ] || die "$node_bin is not an executable file"
node_version=$("$node_bin" -p process.versions.node 2>/dev/null) ||
  die "'$node_bin -p process.versions.node' failed; is it Node.js?"
if ! [[ $node_version =~ ^([0-9]+)\.([0-9]+)\. ]]; then
  die "could not read the Node.js version from $node_bin (got '$node_version')"
fi
node_major=${BASH_REMATCH[1]} node_minor=${BASH_REMATCH[2]}
if [ "$node_major" -lt "$MIN_NODE_MAJOR" ] ||
  { [ "$node_major" -eq "$MIN_NODE_MAJOR" ] && [ "$node_minor" -lt "$MIN_NODE_MINOR" ]; }; then
  die "thingd needs Node.js $MIN_NODE_MAJOR.$MIN_NODE_MINOR or newer; $node_bin is $node_version.
  $node_help"
fi
note "using Node.js $node_version ($node_bin)"

# --- build tools ---------------------------------------------------------------------------
# 'npm ci' compiles native modules (i2c-bus, and serialport where no prebuilt binary fits);
# without a compiler it fails deep in node-gyp output. Checked before anything is changed.
if [ "$skip_npm" != 1 ]; then
  missing=()
  for tool in make g++ python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    die "${missing[*]} not found: 'npm ci' builds native modules (i2c-bus, serialport).
  Install the build tools first:  sudo apt-get install -y build-essential python3"
  fi
fi

# --- preconditions -------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 ...): it creates a system user and writes $APP_DIR"
# useradd/groupadd --root chroot into DIR and edit DIR/etc/{passwd,group,shadow,gshadow}; they
# do not create a user database, and an image without one is not a system to install into.
[ -f "$R/etc/passwd" ] || die "$R/etc/passwd not found: --root must be a system root with a user database"
[ -f "$R/etc/group" ] || die "$R/etc/group not found: --root must be a system root with a user database"
for tool in groupadd useradd usermod install; do
  command -v "$tool" >/dev/null || die "'$tool' not found (Debian package: passwd / coreutils)"
done
umask 022

# --- groups and the service user -----------------------------------------------------------
# Options for the shadow tools: --root only for a foreign root (on / it would chroot to /).
shadow_root=()
[ -n "$R" ] && shadow_root=(--root "$root")

# Reads DIR/etc/{passwd,group} directly rather than getent: for --root the host's NSS would
# answer about the wrong system, and useradd/groupadd only write these files anyway.
has_group() { grep -q "^$1:" "$R/etc/group"; }
has_user() { grep -q "^$1:" "$R/etc/passwd"; }
uid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$R/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$R/etc/group"; }

for g in "${HW_GROUPS[@]}" "$SERVICE_USER"; do
  if ! has_group "$g"; then
    groupadd "${shadow_root[@]}" --system "$g"
    note "created system group $g"
  fi
done
groups_csv=$(IFS=,; echo "${HW_GROUPS[*]}")
if has_user "$SERVICE_USER"; then
  # Kept as it is (a re-run, or an admin's own account); only the hardware groups are ensured.
  usermod "${shadow_root[@]}" --append --groups "$groups_csv" "$SERVICE_USER"
  note "user $SERVICE_USER exists; ensured it is in $groups_csv"
else
  # No home created here: $STATE_DIR is made below with the right mode. nologin: the account
  # only runs the service.
  useradd "${shadow_root[@]}" --system --gid "$SERVICE_USER" --groups "$groups_csv" \
    --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin \
    --comment "thingd XMPP IoT Thing agent" "$SERVICE_USER"
  note "created system user $SERVICE_USER (groups $groups_csv)"
fi
# Numeric ids from the target's own files: with --root the host cannot resolve 'thingd' (or
# resolves it to a different id).
svc_uid=$(uid_of "$SERVICE_USER")
svc_gid=$(gid_of "$SERVICE_USER")
if [ -z "$svc_uid" ] || [ -z "$svc_gid" ]; then
  die "user or group $SERVICE_USER missing from $R/etc/passwd or $R/etc/group after useradd"
fi

# --- the app -------------------------------------------------------------------------------
# Node and npm run with the checked node first on PATH, so npm's '#!/usr/bin/env node' and the
# install scripts of native modules (serialport) build for the same Node ABI the service runs.
PATH="$(dirname "$node_bin"):$PATH"
export PATH

if [ ! -f "$source_dir/dist/agent/main.js" ]; then
  [ -x "$source_dir/node_modules/.bin/tsc" ] ||
    die "$source_dir/dist is not built and TypeScript is not installed there: run 'npm ci && npm run build' in $source_dir first"
  note "building $source_dir (npm run build)"
  (cd "$source_dir" && npm run build)
  [ -f "$source_dir/dist/agent/main.js" ] || die "npm run build did not produce dist/agent/main.js"
fi

app=$R$APP_DIR
mkdir -p "$app"
# Replaced wholesale so files deleted upstream do not linger; node_modules is left to 'npm ci'
# (which empties it itself), so --skip-npm keeps a working one.
rm -rf "${app:?}/dist" "${app:?}/examples" "${app:?}/systemd" "${app:?}/schema" "${app:?}/bin"
cp "$source_dir/package.json" "$source_dir/package-lock.json" "$source_dir/README.md" "$app/"
# dist/ without its compiled tests: they need the dev dependencies and are of no use on the Pi.
mkdir -p "$app/dist"
for entry in "$source_dir"/dist/*; do
  [ "$(basename "$entry")" = test ] || cp -R "$entry" "$app/dist/"
done
cp -R "$source_dir/examples" "$source_dir/systemd" "$source_dir/schema" "$app/"

# The wrapper finds the app relative to itself, so it also runs from a --root test folder; it
# runs the Node.js that passed the check above (sudo and systemd do not use the login PATH).
# THINGD_NODE overrides it after a Node upgrade that moved the binary.
mkdir -p "$app/bin"
cat >"$app/bin/thingd" <<EOF
#!/bin/sh
# Installed by thingd's systemd/install.sh: runs thingd with the Node.js it was installed for.
app=\$(dirname "\$(dirname "\$(readlink -f "\$0")")")
exec "\${THINGD_NODE:-$node_bin}" "\$app/dist/agent/main.js" "\$@"
EOF
chmod 0755 "$app/bin/thingd"

if [ "$skip_npm" = 1 ]; then
  note "skipping 'npm ci --omit=dev' (--skip-npm)"
  [ -d "$app/node_modules" ] || warn "$APP_DIR/node_modules is missing; thingd will not run until 'npm ci --omit=dev' runs in $APP_DIR"
else
  note "installing production dependencies in $APP_DIR (npm ci --omit=dev)"
  # --prefer-offline: the lockfile pins versions and hashes, so cached tarballs are as good as
  # fresh ones and an installed Pi with a warm cache needs no network.
  (cd "$app" && npm ci --omit=dev --no-audit --no-fund --prefer-offline) ||
    die "'npm ci --omit=dev' failed in $app (see above)"
fi
# root-owned and world-readable whatever the checkout's modes were: the service user must read
# it, and must not be able to change its own code.
chown -R 0:0 "$app"
chmod -R u+rwX,go+rX,go-w "$app"

mkdir -p "$R/usr/local/bin"
# Absolute target without the --root prefix: it is resolved on the target system.
ln -sfn "$APP_DIR/bin/thingd" "$R/usr/local/bin/thingd"
note "installed $APP_DIR and /usr/local/bin/thingd -> $APP_DIR/bin/thingd"

# --- the unit ------------------------------------------------------------------------------
unit=$R/etc/systemd/system/$UNIT_NAME
mkdir -p "$(dirname "$unit")"
install -m 0644 -o 0 -g 0 "$source_dir/systemd/$UNIT_NAME" "$unit"
# The unit runs /usr/bin/node (where NodeSource and Debian put it). When the checked Node lives
# elsewhere (the official tarball in /usr/local/bin, a --node), point ExecStart at that one, or
# the service would start an older or missing node (203/EXEC).
if [ "$node_bin" != /usr/bin/node ]; then
  if grep -q "^ExecStart=/usr/bin/node $APP_DIR/dist/agent/main.js " "$unit"; then
    sed -i "s#^ExecStart=/usr/bin/node #ExecStart=$node_bin #" "$unit"
    note "ExecStart in $UNIT_NAME runs $node_bin"
  else
    warn "$UNIT_NAME: ExecStart is not '/usr/bin/node $APP_DIR/dist/agent/main.js ...'; check that it runs Node.js >= $MIN_NODE_MAJOR.$MIN_NODE_MINOR"
  fi
fi
case $(readlink -f "$node_bin") in
  /home/* | /root/* | /run/user/*)
    warn "$node_bin is under a home directory (nvm?); the service cannot see it (ProtectHome=yes). Install Node.js 24 system-wide." ;;
esac
note "installed /etc/systemd/system/$UNIT_NAME"

# --- config and state ----------------------------------------------------------------------
# /etc/thingd matches the unit's ConfigurationDirectoryMode=0755; the files in it carry the
# secrets' protection.
install -d -m 0755 -o 0 -g 0 "$R$CONFIG_DIR"
config=$R$CONFIG_DIR/sensors.yaml
if [ -e "$config" ]; then
  note "kept your existing $CONFIG_DIR/sensors.yaml (not overwritten); the current example is $APP_DIR/examples/sensors.yaml"
else
  # root:thingd 0640: the service reads it, only root changes it, other users cannot read it.
  install -m 0640 -o 0 -g "$svc_gid" "$source_dir/examples/sensors.yaml" "$config"
  # Point the editor schema line at the installed copy of the JSON Schema.
  sed -i "s|\$schema=\.\./schema/|\$schema=$APP_DIR/schema/|" "$config"
  note "created $CONFIG_DIR/sensors.yaml from examples/sensors.yaml: edit it"
fi

# 0750 like the unit's StateDirectoryMode: the thingd group may reach the status socket and
# status.json (`thingd status` without sudo); the KEY's file in there stays 0600.
install -d -m 0750 -o "$svc_uid" -g "$svc_gid" "$R$STATE_DIR"
chown "$svc_uid:$svc_gid" "$R$STATE_DIR"
chmod 0750 "$R$STATE_DIR"

# --- thingd-registry (--registry) ------------------------------------------------------------
if [ "$with_registry" = 1 ]; then
  readonly REG_USER=thingd-registry REG_CONFIG_DIR=/etc/thingd-registry REG_STATE_DIR=/var/lib/thingd-registry
  has_group "$REG_USER" || groupadd "${shadow_root[@]}" --system "$REG_USER"
  if ! has_user "$REG_USER"; then
    useradd "${shadow_root[@]}" --system --gid "$REG_USER" --home-dir "$REG_STATE_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "thingd-registry XEP-0347 Thing Registry" "$REG_USER"
    note "created system user $REG_USER"
  fi
  reg_uid=$(uid_of "$REG_USER")
  reg_gid=$(gid_of "$REG_USER")
  cat >"$app/bin/thingd-registry" <<EOF
#!/bin/sh
# Installed by thingd's systemd/install.sh --registry.
app=\$(dirname "\$(dirname "\$(readlink -f "\$0")")")
exec "\${THINGD_NODE:-$node_bin}" "\$app/dist/registry/main.js" "\$@"
EOF
  chmod 0755 "$app/bin/thingd-registry"
  ln -sfn "$APP_DIR/bin/thingd-registry" "$R/usr/local/bin/thingd-registry"
  reg_unit=$R/etc/systemd/system/thingd-registry.service
  install -m 0644 -o 0 -g 0 "$source_dir/systemd/thingd-registry.service" "$reg_unit"
  if [ "$node_bin" != /usr/bin/node ]; then sed -i "s#^ExecStart=/usr/bin/node #ExecStart=$node_bin #" "$reg_unit"; fi
  install -d -m 0755 -o 0 -g 0 "$R$REG_CONFIG_DIR"
  if [ -e "$R$REG_CONFIG_DIR/registry.yaml" ]; then
    note "kept your existing $REG_CONFIG_DIR/registry.yaml"
  else
    install -m 0640 -o 0 -g "$reg_gid" "$source_dir/examples/registry.yaml" "$R$REG_CONFIG_DIR/registry.yaml"
    note "created $REG_CONFIG_DIR/registry.yaml: set component.jid, and put the component secret in $REG_CONFIG_DIR/secret"
  fi
  install -d -m 0700 -o "$reg_uid" -g "$reg_gid" "$R$REG_STATE_DIR"
  note "installed thingd-registry (then: sudo systemctl enable --now thingd-registry)"
fi

# --- systemd -------------------------------------------------------------------------------
service_active=0
if [ "$use_systemctl" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  note "systemctl daemon-reload done"
  systemctl is-active --quiet "$UNIT_NAME" && service_active=1
elif [ "$use_systemctl" = 1 ]; then
  note "systemd is not running here; skipped 'systemctl daemon-reload'"
fi

# --- next steps ----------------------------------------------------------------------------
udev_note=""
# Raspberry Pi OS's 99-com.rules gives /dev/gpiochip*, /dev/i2c-*, /dev/spidev* to these groups;
# other distributions need such rules too or the groups grant nothing.
if ! grep -qs 'GROUP="i2c"' "$R"/etc/udev/rules.d/*.rules "$R"/usr/lib/udev/rules.d/*.rules "$R"/lib/udev/rules.d/*.rules; then
  udev_note="
  Note: no udev rule gives devices to the i2c/gpio/spi groups here (Raspberry Pi OS ships one in
  /etc/udev/rules.d/99-com.rules). Elsewhere add such rules, or the groups grant no access."
fi
# root:thingd 0640, like the sensor map: root edits it, the service reads it, nobody else.
password_step="       sudo install -m 0640 -o root -g $SERVICE_USER /dev/null $CONFIG_DIR/password
       sudo nano $CONFIG_DIR/password        # the XMPP password, one line"
[ -e "$R$CONFIG_DIR/password" ] && password_step="       ($CONFIG_DIR/password exists; keep it root:$SERVICE_USER, chmod 640)"
restart_step="  4. sudo systemctl enable --now thingd"
[ "$service_active" = 1 ] && restart_step="  4. thingd is running the old version: sudo systemctl restart thingd"

cat <<EOF

thingd is installed${R:+ under $R}. Next steps:
  1. On a Raspberry Pi, enable the buses your sensors use, then reboot:
       sudo raspi-config nonint do_i2c 0           # I2C on
       sudo raspi-config nonint do_serial_hw 0     # UART hardware on (PMS5003 etc.)
       sudo raspi-config nonint do_serial_cons 1   # no login console on that UART
  2. Edit $CONFIG_DIR/sensors.yaml (server, JID, sensors) and create $CONFIG_DIR/password:
$password_step
  3. Check the sensor map as the service user (who also reads the files):
       sudo -u $SERVICE_USER thingd check
       sudo -u $SERVICE_USER thingd read          # reads every sensor once, no XMPP
$restart_step
  5. Follow the logs, and see what it is doing (members of the thingd group need no sudo):
       thingd logs -f
       thingd status
$udev_note
EOF
