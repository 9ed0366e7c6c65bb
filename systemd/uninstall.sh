#!/usr/bin/env bash
# Removes what systemd/install.sh laid down: stops and disables the service (when systemd runs
# here), removes /opt/thingd, /usr/local/bin/thingd and the unit. The sensor map, password
# (/etc/thingd) and the Thing's state (/var/lib/thingd: its claim KEY and owner) are kept unless
# --purge, which also deletes the 'thingd' user and group.
#
#   sudo systemd/uninstall.sh [--root DIR] [--purge] [--no-systemctl]
set -euo pipefail

readonly APP_DIR=/opt/thingd
readonly UNIT_NAME=thingd.service
readonly SERVICE_USER=thingd
readonly STATE_DIR=/var/lib/thingd
readonly CONFIG_DIR=/etc/thingd

prog=$(basename "$0")
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$prog" "$*"; }

usage() {
  cat <<EOF
Usage: $prog [options]

Removes thingd ($APP_DIR, /usr/local/bin/thingd, the systemd unit). Run as root.

Options:
  --root DIR      uninstall from DIR instead of / (implies --no-systemctl)
  --purge         also delete $CONFIG_DIR, $STATE_DIR and the '$SERVICE_USER' user and group
  --no-systemctl  do not stop/disable the service or run 'systemctl daemon-reload'
  -h, --help      this text
EOF
}

root=/
purge=0
use_systemctl=1
while [ "$#" -gt 0 ]; do
  case $1 in
    --root)
      if [ "$#" -lt 2 ] || [ -z "$2" ]; then die "--root needs a value"; fi
      root=$2; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    --purge) purge=1; shift ;;
    --no-systemctl) use_systemctl=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; printf '%s: error: unknown option: %s\n' "$prog" "$1" >&2; exit 64 ;;
  esac
done

[ -d "$root" ] || die "--root $root: no such directory"
root=$(cd "$root" && pwd -P)
if [ "$root" = / ]; then R=""; else R=$root; use_systemctl=0; fi
[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 ...)"

systemd_here=0
if [ "$use_systemctl" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemd_here=1
fi

# Stop before removing the files, so the service does not crash-loop on a missing main.js.
if [ "$systemd_here" = 1 ] && systemctl cat "$UNIT_NAME" >/dev/null 2>&1; then
  systemctl disable --now "$UNIT_NAME" || true
  systemctl reset-failed "$UNIT_NAME" 2>/dev/null || true
  note "stopped and disabled $UNIT_NAME"
fi
# thingd-registry (install.sh --registry) runs from the same $APP_DIR: it goes too. Its
# configuration and state stay unless --purge.
readonly REG_UNIT=thingd-registry.service REG_USER=thingd-registry
if [ -e "$R/etc/systemd/system/$REG_UNIT" ]; then
  if [ "$systemd_here" = 1 ]; then systemctl disable --now "$REG_UNIT" || true; fi
  rm -f "$R/etc/systemd/system/$REG_UNIT" "$R/etc/systemd/system/multi-user.target.wants/$REG_UNIT"
  reg_link=$R/usr/local/bin/thingd-registry
  if [ -L "$reg_link" ] && [ "$(readlink "$reg_link")" = "$APP_DIR/bin/thingd-registry" ]; then rm -f "$reg_link"; fi
  note "removed thingd-registry ($REG_UNIT, /usr/local/bin/thingd-registry)"
  if [ "$purge" = 1 ]; then
    rm -rf "$R/etc/thingd-registry" "$R/var/lib/thingd-registry"
    reg_shadow=()
    [ -n "$R" ] && reg_shadow=(--root "$root")
    if grep -q "^$REG_USER:" "$R/etc/passwd" 2>/dev/null; then userdel "${reg_shadow[@]}" "$REG_USER"; fi
    if grep -q "^$REG_USER:" "$R/etc/group" 2>/dev/null; then groupdel "${reg_shadow[@]}" "$REG_USER"; fi
    note "purged /etc/thingd-registry, /var/lib/thingd-registry and user $REG_USER"
  fi
fi

unit_dir=$R/etc/systemd/system
rm -f "$unit_dir/$UNIT_NAME"
# 'systemctl enable' made this link; without systemctl (--root) it would dangle.
rm -f "$unit_dir/multi-user.target.wants/$UNIT_NAME"
rm -rf "$R$APP_DIR"
# Only our own link: a /usr/local/bin/thingd from 'npm install -g' or elsewhere is not ours.
link=$R/usr/local/bin/thingd
if [ -L "$link" ] && [ "$(readlink "$link")" = "$APP_DIR/bin/thingd" ]; then
  rm -f "$link"
fi
note "removed $APP_DIR, /usr/local/bin/thingd and /etc/systemd/system/$UNIT_NAME"

if [ "$systemd_here" = 1 ]; then
  systemctl daemon-reload
fi

if [ "$purge" = 1 ]; then
  rm -rf "$R$CONFIG_DIR" "$R$STATE_DIR"
  shadow_root=()
  [ -n "$R" ] && shadow_root=(--root "$root")
  if grep -q "^$SERVICE_USER:" "$R/etc/passwd" 2>/dev/null; then
    userdel "${shadow_root[@]}" "$SERVICE_USER"
    note "deleted user $SERVICE_USER"
  fi
  # userdel drops the user's own group only with USERGROUPS_ENAB; make sure it is gone. The
  # hardware groups (gpio, i2c, dialout, spi) stay: other users and udev rules rely on them.
  if grep -q "^$SERVICE_USER:" "$R/etc/group" 2>/dev/null; then
    groupdel "${shadow_root[@]}" "$SERVICE_USER"
  fi
  note "purged $CONFIG_DIR and $STATE_DIR"
else
  note "kept $CONFIG_DIR (sensor map, password) and $STATE_DIR (the Thing's KEY and owner), and user $SERVICE_USER; --purge removes them"
fi
