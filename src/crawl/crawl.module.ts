import { Logger, Module, Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { CrawlController } from './crawl.controller';
import { CrawlRepository } from './crawl.repository';
import { CrawlService } from './crawl.service';
import type { MongoCrawlRepository } from './mongo/mongo-crawl.repository';
import { SqlCrawlRepository } from './sql-crawl.repository';

/**
 * The crawl store, chosen once at start: MongoDB when MONGO_URL is set (its indexes are
 * created before the app serves; a failure stops the start), the relational table otherwise.
 * The Mongo adapter's file — and with it mongoose — is required only in that branch.
 */
export const crawlRepositoryProvider: Provider = {
  provide: CrawlRepository,
  inject: [AppConfig, ModuleRef],
  useFactory: async (config: AppConfig, moduleRef: ModuleRef): Promise<CrawlRepository> => {
    const log = new Logger('Crawl');
    if (!config.mongo) {
      log.log('Crawl data in the relational database (table website_crawl_data)');
      return moduleRef.create(SqlCrawlRepository);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MongoCrawlRepository: Mongo } = require('./mongo/mongo-crawl.repository') as {
      MongoCrawlRepository: typeof MongoCrawlRepository;
    };
    const repository = await moduleRef.create(Mongo);
    await repository.createIndexes();
    log.log('Crawl data in MongoDB (collection website_crawl_data)');
    return repository;
  },
};

/** Website crawl data of an entity (LumaRank's website_crawl_data), in MongoDB or the relational database. */
@Module({
  controllers: [CrawlController],
  providers: [crawlRepositoryProvider, CrawlService],
  exports: [CrawlService],
})
export class CrawlModule {}
