import {
  Global,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';

export interface PeriodicJob {
  /** Unique; also the interval's name in @nestjs/schedule's registry. */
  name: string;
  /** 0 or less: never scheduled (tests call `runNow` with their own clock). */
  everySeconds: number;
  /**
   * One run. Work that must happen on one instance at a time takes `tryAdvisoryLock` inside its
   * unit of work (src/database/advisory-lock.ts) and returns early when another instance holds it.
   */
  run: () => Promise<unknown>;
}

/**
 * The one way to run background work on a timer (lease sweep, purges, partition upkeep, buffer
 * flushes that need no request): providers register their jobs in onModuleInit. A run never
 * overlaps the previous one of the same job, a failure is a warning (the next tick retries),
 * and shutdown stops every timer and waits for runs in progress, so none outlives the database.
 */
@Injectable()
export class PeriodicJobs implements OnApplicationShutdown {
  private readonly log = new Logger('PeriodicJobs');
  private readonly jobs = new Map<string, PeriodicJob>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly scheduler: SchedulerRegistry) {}

  register(job: PeriodicJob): void {
    if (this.jobs.has(job.name)) throw new Error(`periodic job ${job.name} registered twice`);
    this.jobs.set(job.name, job);
    if (job.everySeconds <= 0) return;
    const timer = setInterval(() => void this.runNow(job.name), job.everySeconds * 1000);
    timer.unref();
    this.scheduler.addInterval(job.name, timer);
  }

  /** Runs the job now unless a run of it is in progress (then waits for that one). */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no periodic job ${name}`);
    const inProgress = this.running.get(name);
    if (inProgress) return inProgress;
    if (this.stopped) return;
    const run = job
      .run()
      .then(() => undefined)
      .catch((error: Error) => {
        const next = job.everySeconds > 0 ? `; next run in ${job.everySeconds} s` : '';
        this.log.warn(`${job.name} failed${next}: ${error.message}`);
      })
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of this.jobs.keys()) {
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    }
    await Promise.all(this.running.values());
  }
}

/** Global: any module's provider may register a job. */
@Global()
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [PeriodicJobs],
  exports: [PeriodicJobs],
})
export class SchedulingModule {}

/** A provider whose only job is to register one periodic job at start. */
export abstract class PeriodicJobProvider implements OnModuleInit {
  protected constructor(
    protected readonly jobs: PeriodicJobs,
    private readonly job: PeriodicJob,
  ) {}
  onModuleInit(): void {
    this.jobs.register(this.job);
  }
}
