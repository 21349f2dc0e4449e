#!/bin/sh
# npm run format            → Prettier writes the tree (TypeScript and JavaScript; .prettierignore skips builds and data)
# npm run format -- --check → reports unformatted files and fails, writes nothing (CI)
if [ "${1:-}" = "--check" ]; then shift; exec node_modules/.bin/prettier --check "**/*.{ts,js,mjs}" "$@"; fi
exec node_modules/.bin/prettier --write "**/*.{ts,js,mjs}" "$@"
