'use strict';
/**
 * What a package.json script runs node with: its `NAME=value` environment (after `exec env`) and
 * its `--flags`. The benches start the app and the CLI exactly as `npm start` / `npm run cli`
 * do, so they measure what production runs (test/start-flags.spec.ts keeps the scripts and the
 * Dockerfile in step).
 */
function startCommand(script) {
  const words = require('../package.json').scripts[script].split(/\s+/);
  return {
    env: Object.fromEntries(
      words
        .filter((w) => /^[A-Z_][A-Z0-9_]*=/.test(w))
        .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
    ),
    flags: words.filter((w) => w.startsWith('--')),
  };
}

module.exports = { startCommand };
