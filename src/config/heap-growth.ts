import { setFlagsFromString } from 'node:v8';

/**
 * Under load most garbage of a request outlives a scavenge or two (requests wait on the
 * database) and is promoted; on a host with lots of memory V8 then lets the old generation
 * grow up to 4× its live size before a full GC, which is how RSS reached ~280 MB on list
 * routes with ~45 MB live. A smaller growing factor bounds that (≈ 190 MB) at no measurable
 * throughput cost (bench/README.md, "Memory"). V8 reads this flag at every full GC, so setting
 * it at start works; the server and the CLI (backup and restore allocate like a list route), not
 * the tests, which keep V8's default.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
