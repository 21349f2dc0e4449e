import { Global, Module } from '@nestjs/common';
import { CrawlModule } from '../crawl/crawl.module';
import { BackupRepository } from './backup.repository';
import { BackupService } from './backup.service';

/**
 * Whole-database backup and restore. Global, like the other modules whose services CLI
 * commands use: the commands are providers of the CliModule (src/cli/commands.ts). The crawl
 * store, when it is MongoDB, is reached through CrawlService (its port's storeBackup()).
 */
@Global()
@Module({
  imports: [CrawlModule],
  providers: [BackupRepository, BackupService],
  exports: [BackupService],
})
export class BackupModule {}
