import { Presets, SingleBar } from 'cli-progress';
import { Progress } from './backup.service';

/** Plain lines at most this often when stderr is no terminal (logs, CI). */
const PLAIN_EVERY_MS = 5_000;

/** A progress bar on stderr when it is a terminal, plain progress lines otherwise. */
export function stderrProgress(label: string): Progress {
  return process.stderr.isTTY ? barProgress(label) : lineProgress(label);
}

function barProgress(label: string): Progress {
  const bar = new SingleBar(
    {
      format: `${label} |{bar}| {percentage}% {value}/{total} rows {rate} rows/s ETA {eta}s`,
      hideCursor: true,
      stream: process.stderr,
    },
    Presets.shades_classic,
  );
  let started = 0;
  let done = 0;
  return {
    start(total) {
      started = Date.now();
      bar.start(total, 0, { rate: 0 });
    },
    advance(rows) {
      done += rows;
      bar.update(done, { rate: rate(done, started) });
    },
    stop() {
      bar.stop();
    },
  };
}

function lineProgress(label: string): Progress {
  let started = 0;
  let last = 0;
  let done = 0;
  let total = 0;
  const say = () =>
    process.stderr.write(
      `${label}: ${done}/${total} rows (${total ? Math.floor((done / total) * 100) : 100}%), ${rate(done, started)} rows/s\n`,
    );
  return {
    start(rows) {
      total = rows;
      started = last = Date.now();
    },
    advance(rows) {
      done += rows;
      if (Date.now() - last >= PLAIN_EVERY_MS) {
        last = Date.now();
        say();
      }
    },
    stop(completed) {
      if (started && completed) say();
      started = 0;
    },
  };
}

function rate(done: number, started: number): number {
  const seconds = (Date.now() - started) / 1000;
  return seconds > 0 ? Math.round(done / seconds) : 0;
}
