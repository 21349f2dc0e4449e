#!/usr/bin/env bash
# Generates or checks migrations against BOTH databases from the same entities.
#   scripts/migrations.sh generate <Name>   writes migrations/{sqlite,postgres}/<ts>-<Name>.ts
#   scripts/migrations.sh check             exits 1 when entities and migrations disagree
#   scripts/migrations.sh roundtrip         every migration up, all down, up again, on both
# SQLite: a throwaway file. PostgreSQL: a throwaway database on MIGRATION_ADMIN_URL
# (default postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:?generate <Name> | check | roundtrip}"
name="${2:-}"
admin_url="${MIGRATION_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
typeorm="node_modules/.bin/typeorm-ts-node-commonjs -d src/database/data-source.ts"
tmp="$(mktemp -d)"
db="cs_migrations_$$"
pg_url="${admin_url%/*}/$db"
psql_admin() { psql "$admin_url" -v ON_ERROR_STOP=1 -qAtc "$1" >/dev/null; }
cleanup() { rm -rf "$tmp"; psql_admin "DROP DATABASE IF EXISTS $db" 2>/dev/null || true; }
trap cleanup EXIT
psql_admin "CREATE DATABASE $db"
export NODE_ENV=test LOG_LEVEL=warn
status=0
for kind in sqlite postgres; do
  if [ "$kind" = sqlite ]; then url="sqlite:$tmp/check.sqlite"; else url="$pg_url"; fi
  DATABASE_URL="$url" $typeorm migration:run >/dev/null
  if [ "$mode" = roundtrip ]; then
    count=$(ls migrations/$kind/*.ts | wc -l)
    for _ in $(seq "$count"); do DATABASE_URL="$url" $typeorm migration:revert >/dev/null; done
    left=$(DATABASE_URL="$url" $typeorm migration:show | grep -c '\[X\]' || true)
    [ "$left" = 0 ] || { echo "roundtrip $kind: $left migration(s) still applied after reverting all"; status=1; }
    DATABASE_URL="$url" $typeorm migration:run >/dev/null
    echo "migrations $kind: $count up, $count down, $count up again: ok"
  elif [ "$mode" = generate ]; then
    [ -n "$name" ] || { echo "usage: $0 generate <Name>" >&2; exit 2; }
    DATABASE_URL="$url" $typeorm migration:generate -p "migrations/$kind/$name" || true
  else
    if DATABASE_URL="$url" $typeorm migration:generate --check "migrations/$kind/Check" >"$tmp/$kind.out" 2>&1; then
      echo "migration:check $kind: entities and migrations agree"
    else
      echo "migration:check $kind: entities and migrations DISAGREE:"; cat "$tmp/$kind.out"; status=1
    fi
  fi
done
exit $status
