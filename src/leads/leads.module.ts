import { Module } from '@nestjs/common';
import { EntitiesModule } from '../entities/entities.module';
import { StorageModule } from '../storage/storage.module';
import { LeadsBulkLoad } from './leads.bulk-load';
import { LeadsController } from './leads.controller';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';
import { PublicLeadsController } from './public-leads.controller';

/** Leads of an entity, their resumes (through StorageModule) and the public intake form. */
@Module({
  imports: [StorageModule, EntitiesModule],
  controllers: [LeadsController, PublicLeadsController],
  providers: [LeadsRepository, LeadsBulkLoad, LeadsService],
  exports: [LeadsService],
})
export class LeadsModule {}
