#!/usr/bin/env bash
# Runs a command in a network namespace of its own (unshare -n), with only
# loopback up: what it and its children bind or reach stays inside, and the
# namespace, its addresses and its nftables rules end with the last of them.
# The data-plane tests and the demo need it (tests/cluster/private_network.ts);
# `deno task test` and `deno task dev` run under it.
#
# Nothing can be downloaded inside, so the test control plane is built first,
# and a COMMAND of "deno" is the pinned Deno (scripts/ensure_deno.sh).
#
# Usage: scripts/in_private_network.sh COMMAND [ARGS...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

if [ "$1" = deno ]; then
  shift
  set -- "$("$root/scripts/ensure_deno.sh")" "$@"
fi
# Already in a namespace this script made (e.g. a nested deno task): run as is.
if [ "${SERVICE_REFLECTOR_NETNS:-}" = "$(readlink /proc/self/ns/net)" ]; then
  exec "$@"
fi
"$root/scripts/build_cluster.sh" >/dev/null
if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
  echo "in_private_network: 'unshare' (util-linux) and 'ip' (iproute2) are required" >&2
  exit 1
fi
# SERVICE_REFLECTOR_NETNS names the namespace made here, so that the code
# inside can tell it apart from the one it was started in.
exec unshare --net -- bash -c '
  ip link set lo up &&
  SERVICE_REFLECTOR_NETNS="$(readlink /proc/self/ns/net)" exec "$@"' in_private_network "$@"
