import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { TasksService } from './tasks.service';

/**
 * Runs TasksService.sweepExpiredLeases every TASK_LEASE_SWEEP_SECONDS (default 30; 0 turns
 * it off, as the e2e suites do: they call the sweep themselves with a FixedClock). Several
 * instances may all run it: the sweep takes a PostgreSQL advisory lock, so one works at a time.
 */
@Injectable()
export class LeaseSweeper implements OnModuleInit, OnApplicationShutdown {
  static readonly NAME = 'tasks-lease-sweep';
  private readonly log = new Logger('LeaseSweeper');
  private running: Promise<void> | null = null;

  constructor(
    private readonly tasks: TasksService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const seconds = this.config.tasks.leaseSweepSeconds;
    if (seconds <= 0) return;
    const timer = setInterval(() => void this.run(), seconds * 1000);
    timer.unref();
    this.scheduler.addInterval(LeaseSweeper.NAME, timer);
  }

  /** Stops the interval and waits for a sweep in progress, so none outlives the database. */
  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', LeaseSweeper.NAME)) {
      this.scheduler.deleteInterval(LeaseSweeper.NAME);
    }
    await this.running;
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = this.tasks
      .sweepExpiredLeases()
      .then(() => undefined)
      .catch((error: Error) => {
        this.log.warn(
          `Lease sweep failed; next run in ${this.config.tasks.leaseSweepSeconds} s: ${error.message}`,
        );
      })
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }
}
