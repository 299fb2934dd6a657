#!/usr/bin/env bash
# The README's "run it" command: installs what is missing (Deno, the test
# control plane, the Debian packages of its private network) and runs the
# local demo (`deno task dev`, inside a network namespace of its own).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
deno="$(scripts/ensure_deno.sh)"
scripts/build_cluster.sh >/dev/null
scripts/ensure_packages.sh
exec "$deno" task dev "$@"
