import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EntitiesModule } from '../entities/entities.module';
import { StorageModule } from '../storage/storage.module';
import { Lead } from './lead.entity';
import { LeadsController, PublicLeadsController } from './leads.controller';
import { LeadRepository } from './leads.repository';
import { LeadsService } from './leads.service';

/** Leads of an entity, their resumes (through StorageModule) and the public intake form. */
@Module({
  imports: [TypeOrmModule.forFeature([Lead]), StorageModule, EntitiesModule],
  controllers: [LeadsController, PublicLeadsController],
  providers: [LeadRepository, LeadsService],
  exports: [LeadsService],
})
export class LeadsModule {}
