#!/usr/bin/env bash
# Regenerates the replace block of go.mod from the replace block of the
# k8s.io/kubernetes go.mod that the module proxy serves: each staging module
# k8s.io/<name> (required there at v0.0.0) is mapped to its published v0.X.Y tag.
#
# Usage: tests/cluster/update_replaces.sh v1.37.2
set -euo pipefail
version="${1:?usage: update_replaces.sh vMAJOR.MINOR.PATCH}"
cd "$(dirname "$0")"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
staging="v0.${version#v1.}"
modfile="$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
go mod edit -require="k8s.io/kubernetes@${version}"
sed -n '/^replace (/,/^)/p' "$modfile" |
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' |
  while read -r module; do
    go mod edit -replace="${module}=${module}@${staging}"
  done
go mod tidy
