import { AnalyticsModule } from './analytics/analytics.module';
import { AuthModule } from './auth/auth.module';
import { BackupModule } from './backup/backup.module';
import { BillingModule } from './billing/billing.module';
import { CrawlModule } from './crawl/crawl.module';
import { EntitiesModule } from './entities/entities.module';
import { LeadsModule } from './leads/leads.module';
import { TasksModule } from './tasks/tasks.module';
import { UsersModule } from './users/users.module';

/** The feature modules, in dependency order. */
export const FEATURE_MODULES = [
  UsersModule,
  EntitiesModule,
  AuthModule,
  LeadsModule,
  CrawlModule,
  BillingModule,
  TasksModule,
  AnalyticsModule,
  BackupModule,
];
