import { enableCompileCache } from 'node:module';

/**
 * Node's on-disk compile cache: the V8 code of every module loaded after this line is kept on
 * disk and reused by the next start. The server loads ~2,200 modules at start and compiling
 * them was about a fifth of the start's CPU (README, "Start-up time"). The directory is
 * NODE_COMPILE_CACHE when set, else Node's default under the OS temp dir; a read-only or
 * missing directory only leaves the cache off. Imported first by each entry point (main,
 * cluster, cli), before anything else is required.
 */
enableCompileCache();
