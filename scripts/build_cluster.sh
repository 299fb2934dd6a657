#!/usr/bin/env bash
# Builds the test control plane (tests/cluster) into .cache/cluster/<key>/cluster
# and prints the binary's path on stdout. The key hashes every input of the
# build (go.mod, go.sum, the Go sources, the Go version), so an unchanged tree
# reuses the binary and any change rebuilds it. Progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tests/cluster"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    echo "build_cluster: Go is required (expected at /usr/local/go/bin/go)" >&2
    exit 1
  fi
fi

key="$(
  {
    go version
    cd "$src" && cat go.mod go.sum && find . -name '*.go' -type f | LC_ALL=C sort | xargs cat
  } | sha256sum | cut -c1-16
)"
out="$root/.cache/cluster/$key"
binary="$out/cluster"
if [ -x "$binary" ]; then
  echo "build_cluster: reusing $binary" >&2
  echo "$binary"
  exit 0
fi

echo "build_cluster: building $binary (cold builds take minutes)" >&2
start=$(date +%s)
mkdir -p "$out"
(cd "$src" && go build -trimpath -ldflags='-s -w' -o "$binary.tmp" .)
mv "$binary.tmp" "$binary"
# Older keys are dead weight once the inputs changed.
find "$root/.cache/cluster" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
echo "build_cluster: built in $(($(date +%s) - start))s" >&2
echo "$binary"
