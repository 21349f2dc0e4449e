/**
 * NestJS 12 is ESM-only; the app stays CommonJS and loads it through require(esm). Under jest
 * (30.4+) that needs Node >= 24.9 started with --experimental-vm-modules. The npm scripts and
 * .ci/run set it in NODE_OPTIONS; when jest was started without it (`npx jest …`), the jest
 * configs call this, which runs the same command again with the flag and exits with its status.
 */
function ensureVmModules() {
  if (typeof require('node:vm').SourceTextModule === 'function') return;
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 24 || (major === 24 && minor < 9) || process.env.CORNERSTONE_JEST_VM_MODULES) {
    throw new Error(
      `jest needs Node >= 24.9 with --experimental-vm-modules to load NestJS 12 (Node ${process.versions.node} here); ` +
        'on an older machine: eval "$(scripts/use-node.sh)"',
    );
  }
  const { spawnSync } = require('node:child_process');
  const { signals } = require('node:os').constants;
  const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      CORNERSTONE_JEST_VM_MODULES: '1',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
    },
  });
  process.exit(run.status ?? (run.signal ? 128 + signals[run.signal] : 1));
}

module.exports = { ensureVmModules };
