import { Global, Module } from '@nestjs/common';
import { BackupRepository } from './backup.repository';
import { BackupService } from './backup.service';

/**
 * Whole-database backup and restore. Global, like the other modules whose services CLI
 * commands use: the commands are providers of the CliModule (src/cli/commands.ts).
 */
@Global()
@Module({
  providers: [BackupRepository, BackupService],
  exports: [BackupService],
})
export class BackupModule {}
