import { Global, Module } from '@nestjs/common';
import { MembershipResolver } from '../common/auth/access-ports';
import { UsersModule } from '../users/users.module';
import { EntitiesController } from './entities.controller';
import { EntitiesRepository } from './entities.repository';
import { EntitiesService } from './entities.service';
import { MembershipsRepository } from './memberships.repository';
import { EntitiesAdminController, InvitationsController } from './invitations.controller';
import { InvitationsRepository } from './invitations.repository';
import { InvitationsService } from './invitations.service';

/** Organisations and memberships; provides the access guard's MembershipResolver app-wide. */
@Global()
@Module({
  imports: [UsersModule],
  controllers: [EntitiesController, InvitationsController, EntitiesAdminController],
  providers: [
    EntitiesRepository,
    MembershipsRepository,
    InvitationsRepository,
    EntitiesService,
    InvitationsService,
    { provide: MembershipResolver, useExisting: EntitiesService },
  ],
  exports: [EntitiesService, MembershipResolver],
})
export class EntitiesModule {}
