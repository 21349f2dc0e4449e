/**
 * Waits for a buffered write started at shutdown, at most `ms`. Nest closes the HTTP listener
 * only after every beforeApplicationShutdown hook has returned, so a flush that waits for a
 * pool connection (all of them busy with requests still in flight) would keep the listener
 * open for as long as those requests take. Past the bound the write goes on: the requests
 * release their connections before the DataSource is destroyed, and PostgreSQL's pool ends
 * only after its checked-out clients are returned.
 */
export const SHUTDOWN_FLUSH_WAIT_MS = 250;

export async function waitAtMost(
  work: Promise<unknown>,
  ms = SHUTDOWN_FLUSH_WAIT_MS,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([work.then(() => undefined), bound]);
  } finally {
    clearTimeout(timer);
  }
}
