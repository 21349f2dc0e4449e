import { CreateAdminCommand } from '../users/create-admin.command';
import { SeedDemoCommand } from '../leads/seed-demo.command';
import { DbCheckCommand, MigrateCommand } from './migrate.command';
import { CleanupCommand } from '../analytics/cleanup.command';
import { BackupCommand, RestoreCommand } from '../backup/backup.command';

/** Every CLI command provider. Feature modules' commands are added here. */
export const CLI_COMMANDS = [
  MigrateCommand,
  DbCheckCommand,
  CreateAdminCommand,
  SeedDemoCommand,
  CleanupCommand,
  BackupCommand,
  RestoreCommand,
];
