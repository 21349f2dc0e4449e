import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicJobs } from './periodic-jobs';

describe('PeriodicJobs', () => {
  const make = () => {
    const registry = new SchedulerRegistry();
    return { registry, jobs: new PeriodicJobs(registry) };
  };

  it('schedules a job with a positive interval and not one with 0', () => {
    const { registry, jobs } = make();
    jobs.register({ name: 'on', everySeconds: 60, run: async () => undefined });
    jobs.register({ name: 'off', everySeconds: 0, run: async () => undefined });
    expect(registry.getIntervals()).toEqual(['on']);
    return jobs.onApplicationShutdown();
  });

  it('refuses a second job with the same name', () => {
    const { jobs } = make();
    jobs.register({ name: 'x', everySeconds: 0, run: async () => undefined });
    expect(() => jobs.register({ name: 'x', everySeconds: 0, run: async () => undefined })).toThrow(
      /registered twice/,
    );
  });

  it('never overlaps runs of one job: a second runNow joins the one in progress', async () => {
    const { jobs } = make();
    let runs = 0;
    let finish!: () => void;
    jobs.register({
      name: 'slow',
      everySeconds: 0,
      run: () => {
        runs++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    const first = jobs.runNow('slow');
    const second = jobs.runNow('slow');
    finish();
    await Promise.all([first, second]);
    expect(runs).toBe(1);
    const third = jobs.runNow('slow');
    finish();
    await third;
    expect(runs).toBe(2);
  });

  it('reports a failed run as a warning and does not reject', async () => {
    const { jobs } = make();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jobs.register({
      name: 'broken',
      everySeconds: 0,
      run: () => Promise.reject(new Error('db down')),
    });
    await expect(jobs.runNow('broken')).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('broken failed: db down'));
    warn.mockRestore();
  });

  it('at shutdown stops every timer, waits for runs in progress and starts no new one', async () => {
    const { registry, jobs } = make();
    let finish!: () => void;
    let runs = 0;
    jobs.register({
      name: 'tick',
      everySeconds: 30,
      run: () => {
        runs++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    const inProgress = jobs.runNow('tick');
    let shutDown = false;
    const shutdown = jobs.onApplicationShutdown().then(() => (shutDown = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(shutDown).toBe(false);
    finish();
    await Promise.all([inProgress, shutdown]);
    expect(registry.getIntervals()).toEqual([]);
    await jobs.runNow('tick');
    expect(runs).toBe(1);
  });
});
