'use strict';
/**
 * The two halves of "a bench script in its own node process": the parent runs it with its spec
 * as JSON in argv[2] and reads back its result, the last line of its stdout (bench/load.js,
 * charges.js, system-logs.js); the script's body prints that line and exits.
 */
const { spawn } = require('node:child_process');

/**
 * Runs `file` with `spec`; resolves with its last stdout line parsed, rejects (with its stderr)
 * when it exits non-zero. `onSpawn(child)` sees the process (run.js keeps it, to stop it on exit).
 */
function runChildScript(file, spec, { cwd, env, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, JSON.stringify(spec)], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`${file} failed (${code}): ${err}`)),
    );
  });
}

/** A script's body: prints what `main` resolves to as one JSON line, exit 0; on error its stack, exit 1. */
function scriptMain(main) {
  main().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error) => {
      process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    },
  );
}

module.exports = { runChildScript, scriptMain };
