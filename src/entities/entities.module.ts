import { Global, Module } from '@nestjs/common';
import { MembershipResolver } from '../common/auth/access-ports';
import { UsersModule } from '../users/users.module';
import { EntitiesController } from './entities.controller';
import { EntitiesRepository } from './entities.repository';
import { EntitiesService } from './entities.service';
import { MembershipsRepository } from './memberships.repository';

/** Organisations and memberships; provides the access guard's MembershipResolver app-wide. */
@Global()
@Module({
  imports: [UsersModule],
  controllers: [EntitiesController],
  providers: [
    EntitiesRepository,
    MembershipsRepository,
    EntitiesService,
    { provide: MembershipResolver, useExisting: EntitiesService },
  ],
  exports: [EntitiesService, MembershipResolver],
})
export class EntitiesModule {}
