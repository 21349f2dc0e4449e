import { Module } from '@nestjs/common';
import { LeaseSweeper } from './lease-sweeper';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

/** Scraping tasks, the worker claim queue with leases, task logs and compute-unit charging (BillingService, global). */
@Module({
  controllers: [TasksController],
  providers: [TasksRepository, TasksService, LeaseSweeper],
  exports: [TasksService],
})
export class TasksModule {}
