/**
 * Preloaded into the soak's app process (node -r): answers 'sample' over IPC with the
 * process's memory after a full GC, so the soak compares retained memory, not garbage.
 */
if (process.send) {
  process.on('message', (message) => {
    if (message !== 'sample') return;
    if (global.gc) global.gc();
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    process.send({ type: 'memory', rss, heapUsed, heapTotal, external });
  });
  // The IPC channel must not keep the server alive after SIGTERM.
  if (process.channel) process.channel.unref();
}
