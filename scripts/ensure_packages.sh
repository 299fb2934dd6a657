#!/usr/bin/env bash
# Installs the Debian packages the private network of the data-plane tests
# and the demo needs (scripts/in_private_network.sh), when a command of
# theirs is missing: nft (nftables, which kube-proxy drives), ip (iproute2)
# and unshare (util-linux). Idempotent: with every command present it
# installs nothing and needs no network.
set -euo pipefail
missing=()
for pair in nft:nftables ip:iproute2 unshare:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure_packages: missing ${missing[*]}, and apt-get is not here to install them" >&2
  exit 1
fi
echo "ensure_packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; an install that fails on stale ones tries once more.
apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
  { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
