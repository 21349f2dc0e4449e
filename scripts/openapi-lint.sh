#!/bin/sh
# npm run openapi:lint: the OpenAPI document of the built app, linted by Redocly with
# redocly.yaml (0 errors required; the warnings kept are listed there with their reasons).
# Builds first when dist/ is missing. The document is left at $OPENAPI_OUT (default: a temp file).
set -eu
cd "$(dirname "$0")/.."
[ -f dist/src/main.js ] || node_modules/.bin/nest build
out="${OPENAPI_OUT:-${TMPDIR:-/tmp}/cornerstone-openapi.json}"
node scripts/openapi.js "$out"
# No telemetry and no update check: the lint needs no network.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  exec node_modules/.bin/redocly lint "$out" --config redocly.yaml --format=stylish
