#!/usr/bin/env bash
# Puts an official Node.js runtime (binary + headers) from the npm registry into a folder:
#
#   scripts/package/fetch-node.sh MAJOR|VERSION x64|arm64 DEST
#
# DEST/bin/node is the runtime, DEST/include/node the headers (node-gyp --nodedir=DEST).
# MAJOR (e.g. 24) picks the pinned version for that major from node-runtimes.tsv. The tarball
# comes from npm's node-linux-<cpu> package and must match the pinned sha512; it is cached in
# ${THINGD_CACHE:-<repo>/.cache}/node-runtimes. Needs only bash, curl, sha512sum, base64, tar: no
# Node.js (CI uses it to get the Node that runs everything else).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { printf 'fetch-node.sh: error: %s\n' "$*" >&2; exit 1; }
[ "$#" -eq 3 ] || die "usage: fetch-node.sh MAJOR|VERSION x64|arm64 DEST"
want=$1 cpu=$2 dest=$3
case $cpu in x64 | arm64) ;; *) die "cpu must be x64 or arm64, not '$cpu'" ;; esac

version="" integrity=""
while IFS=$'\t' read -r v c i; do
  case $v in '#'* | '') continue ;; esac
  if [ "$c" = "$cpu" ] && { [ "$v" = "$want" ] || [ "${v%%.*}" = "$want" ]; }; then
    version=$v integrity=$i
  fi
done <"$here/node-runtimes.tsv"
[ -n "$version" ] || die "no Node.js '$want' for $cpu pinned in scripts/package/node-runtimes.tsv"

if [ -x "$dest/bin/node" ] && [ "$(cat "$dest/.integrity" 2>/dev/null)" = "$integrity" ]; then
  exit 0 # already there
fi
cache=${THINGD_CACHE:-$repo/.cache}/node-runtimes
mkdir -p "$cache"
tgz=$cache/node-linux-$cpu-$version.tgz
expected=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
actual() { sha512sum "$tgz" | cut -d' ' -f1; }
if [ ! -f "$tgz" ] || [ "$(actual)" != "$expected" ]; then
  registry=${npm_config_registry:-https://registry.npmjs.org/}
  url=${registry%/}/node-linux-$cpu/-/node-linux-$cpu-$version.tgz
  echo "fetch-node.sh: downloading $url" >&2
  curl -fsSL --retry 3 -o "$tgz.part" "$url" || die "download failed: $url"
  mv "$tgz.part" "$tgz"
  [ "$(actual)" = "$expected" ] || { rm -f "$tgz"; die "$url does not match the sha512 pinned in node-runtimes.tsv"; }
fi
rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$tgz" -C "$dest" --strip-components=1 --no-same-owner
printf '%s\n' "$integrity" >"$dest/.integrity"
echo "fetch-node.sh: Node.js $version ($cpu) in $dest" >&2
