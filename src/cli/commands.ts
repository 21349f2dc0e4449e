import { DbCheckCommand, MigrateCommand } from './migrate.command';

/** Every CLI command provider. Feature modules' commands are added here. */
export const CLI_COMMANDS = [MigrateCommand, DbCheckCommand];
