#!/usr/bin/env node
'use strict';
/** Summarises a .cpuprofile (node --cpu-prof, e.g. from `npm run bench -- --profile`): self time by package and by function, idle excluded.
 *  usage: node bench/cpuprofile-summary.js <file.cpuprofile> [top=40] [fromSec=0] */
const p = JSON.parse(require('fs').readFileSync(process.argv[2]));
const top = Number(process.argv[3] || 40);
const fromUs = Number(process.argv[4] || 0) * 1e6;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const counts = new Map();
let total = 0,
  clock = 0;
for (let i = 0; i < p.samples.length; i++) {
  clock += p.timeDeltas[i] || 0;
  if (clock < fromUs) continue;
  const n = byId.get(p.samples[i]);
  if (n.callFrame.functionName === '(idle)') continue;
  counts.set(p.samples[i], (counts.get(p.samples[i]) || 0) + (p.timeDeltas[i] || 0));
  total += p.timeDeltas[i] || 0;
}
const key = (n) =>
  `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/dist\//, 'dist/')}:${n.callFrame.lineNumber}`;
for (const [id, t] of counts) {
  const k = key(byId.get(id));
  self.set(k, (self.get(k) || 0) + t);
}
const pkg = new Map();
for (const [id, t] of counts) {
  const u = byId.get(id).callFrame.url;
  const k = u.includes('node_modules/')
    ? u.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
    : u.includes('/dist/')
      ? 'app:' + u.replace(/.*\/dist\/src\//, '').split('/')[0]
      : u || byId.get(id).callFrame.functionName;
  pkg.set(k, (pkg.get(k) || 0) + t);
}
console.log('busy ms', (total / 1000).toFixed(0));
console.log('--- self time by package (% of busy)');
for (const [k, t] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(((100 * t) / total).toFixed(1).padStart(5) + '%', k);
console.log('--- self time by function');
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(((100 * t) / total).toFixed(1).padStart(5) + '%', k);
