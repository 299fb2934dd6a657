#!/usr/bin/env bash
# Prints the path of a Deno of the pinned version, installing it first when
# needed. A `deno` on PATH is used only if it is exactly that version;
# otherwise the npm registry's `deno` package is installed into the
# git-ignored .tools/deno folder (idempotent: a second run installs nothing).
set -euo pipefail
version="2.9.6"
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.tools/deno"
local_bin="$prefix/bin/deno"

version_of() { "$1" --version 2>/dev/null | sed -n '1s/^deno \([0-9.]*\).*/\1/p'; }

if command -v deno >/dev/null 2>&1 && [ "$(version_of "$(command -v deno)")" = "$version" ]; then
  command -v deno
  exit 0
fi
if [ -x "$local_bin" ] && [ "$(version_of "$local_bin")" = "$version" ]; then
  echo "$local_bin"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "ensure_deno: npm is required to install Deno $version (package 'deno' from the npm registry)" >&2
  exit 1
fi
echo "ensure_deno: installing Deno $version into $prefix" >&2
rm -rf "$prefix"
mkdir -p "$prefix/bin"
npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "deno@$version" >&2
# The package ships the real executable in a platform package; link it
# directly instead of going through the package's Node.js launcher.
platform_bin="$(find "$prefix/node_modules/@deno" -maxdepth 2 -type f -name deno | head -n 1)"
if [ -z "$platform_bin" ]; then
  echo "ensure_deno: the npm package deno@$version brought no executable for $(uname -m) $(uname -s)" >&2
  exit 1
fi
ln -sf "$platform_bin" "$local_bin"
if [ "$(version_of "$local_bin")" != "$version" ]; then
  echo "ensure_deno: $local_bin does not report version $version" >&2
  exit 1
fi
echo "$local_bin"
