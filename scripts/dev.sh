#!/usr/bin/env bash
# The README's "run it" command: installs what is missing (Deno, the test
# control plane) and runs the local demo (`deno task dev`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
deno="$(scripts/ensure_deno.sh)"
scripts/build_cluster.sh >/dev/null
exec "$deno" task dev "$@"
