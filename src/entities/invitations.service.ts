import {
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
  Optional,
} from '@nestjs/common';
import { Principal, TenantContext } from '../common/auth/access';
import { Clock } from '../common/clock/clock';
import { SystemEventLog } from '../common/observability/system-event-log';
import { CursorPageQueryDto, Page } from '../common/pagination/pagination';
import { UnitOfWork } from '../database/unit-of-work';
import { UsersService } from '../users/users.service';
import { InviteMemberDto } from './dto/invite-member.dto';
import { EntityResponse } from './dto/entity.response';
import { InvitationResponse, ReceivedInvitationResponse } from './dto/invitation.response';
import { canManageMember, EntitiesService } from './entities.service';
import { Invitation } from './invitation.entity';
import { InvitationsRepository } from './invitations.repository';
import { MembershipsRepository } from './memberships.repository';

/** How long an invitation can be accepted; inviting again renews it. */
export const INVITATION_TTL_MS = 14 * 24 * 60 * 60 * 1000;

function toInvitationResponse(i: Invitation): InvitationResponse {
  return {
    id: i.id,
    entityId: i.entityId,
    email: i.email,
    role: i.role,
    status: i.status,
    invitedBy: i.invitedBy ?? null,
    createdAt: new Date(i.createdAt).toISOString(),
    expiresAt: new Date(i.expiresAt).toISOString(),
  };
}

const notFound = () => new NotFoundException('Invitation not found');

/**
 * Joining an entity is by invitation only (platform admins excepted, EntitiesService.addByAdmin):
 * an admin invites an email, and the account holding that email accepts or declines. Inviting
 * answers the same whether or not the email has an account, so it cannot be used to find out
 * who is registered, and nobody becomes a member of an organisation they did not agree to.
 * The addressee is matched on the account's current email at each read.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly invitations: InvitationsRepository,
    private readonly memberships: MembershipsRepository,
    private readonly entities: EntitiesService,
    private readonly users: UsersService,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    @Optional() private readonly events?: SystemEventLog,
  ) {}

  // ── the entity's side (admin+) ────────────────────────────────────────────

  async invite(tenant: TenantContext, dto: InviteMemberDto): Promise<InvitationResponse> {
    if (!canManageMember(tenant.role, 'member', dto.role)) {
      throw new ForbiddenException('Only an owner may grant the owner role');
    }
    // Members are listed to every member anyway, so this confirms nothing new.
    const account = await this.users.findByEmail(dto.email);
    if (account && (await this.memberships.findMember(tenant.entityId, account.id))) {
      throw new ConflictException('This email belongs to a member already');
    }
    const invitation = await this.invitations.upsertPending({
      entityId: tenant.entityId,
      email: dto.email,
      role: dto.role,
      invitedBy: tenant.userId,
      expiresAt: new Date(this.clock.now().getTime() + INVITATION_TTL_MS),
    });
    this.event(tenant.userId, 'member invited', {
      entityId: tenant.entityId,
      invitationId: invitation.id,
      role: dto.role,
    });
    return toInvitationResponse(invitation);
  }

  async listPending(
    tenant: TenantContext,
    query: CursorPageQueryDto,
  ): Promise<Page<InvitationResponse>> {
    const page = await this.invitations.findPendingPage(tenant.entityId, query);
    return { ...page, items: page.items.map(toInvitationResponse) };
  }

  /** Admin+; an invitation to the owner role only by an owner. */
  async revoke(tenant: TenantContext, invitationId: string): Promise<void> {
    const invitation = await this.invitations.findPendingOfEntity(tenant.entityId, invitationId);
    if (!invitation) throw notFound();
    if (!canManageMember(tenant.role, 'member', invitation.role)) {
      throw new ForbiddenException('Only an owner may revoke an invitation to the owner role');
    }
    if (!(await this.invitations.revoke(tenant.entityId, invitationId))) throw notFound();
    this.event(tenant.userId, 'invitation revoked', {
      entityId: tenant.entityId,
      invitationId,
    });
  }

  // ── the addressee's side ──────────────────────────────────────────────────

  async listMine(
    principal: Principal,
    query: CursorPageQueryDto,
  ): Promise<Page<ReceivedInvitationResponse>> {
    const page = await this.invitations.findOpenPageFor(await this.emailOf(principal), query);
    return {
      ...page,
      items: page.items.map(({ invitation: i, entityName }) => ({
        id: i.id,
        entityId: i.entityId,
        entityName,
        role: i.role,
        createdAt: new Date(i.createdAt).toISOString(),
        expiresAt: new Date(i.expiresAt).toISOString(),
      })),
    };
  }

  /**
   * Becomes a member with the invited role. The invitation is answered and the membership
   * inserted in one unit: if the insert fails (a member already, e.g. added meanwhile), the
   * invitation stays pending.
   */
  async accept(principal: Principal, invitationId: string): Promise<EntityResponse> {
    const invitation = await this.openInvitation(principal, invitationId);
    const { entityId, role } = invitation;
    if (await this.memberships.findMember(entityId, principal.userId)) {
      throw new ConflictException('You are a member of this entity already; decline instead');
    }
    await this.uow.run(async (tx) => {
      if (!(await this.invitations.answer(invitationId, 'accepted', { tx }))) throw notFound();
      // A concurrent duplicate trips the unique (user_id, entity_id) index: 409, rolled back.
      await this.memberships.insertMembership(entityId, principal.userId, role, { tx });
    });
    await this.entities.forgetMembership(principal.userId, entityId);
    this.event(principal.userId, 'member added', {
      entityId,
      memberId: principal.userId,
      role,
      invitationId,
      invitedBy: invitation.invitedBy,
    });
    return this.entities.get({ entityId, userId: principal.userId, role });
  }

  async decline(principal: Principal, invitationId: string): Promise<void> {
    const invitation = await this.openInvitation(principal, invitationId);
    if (!(await this.invitations.answer(invitationId, 'declined'))) throw notFound();
    this.event(principal.userId, 'invitation declined', {
      entityId: invitation.entityId,
      invitationId,
    });
  }

  /** Pending, unexpired, of an active entity and addressed to the caller, else 404 (nothing confirmed). */
  private async openInvitation(principal: Principal, invitationId: string): Promise<Invitation> {
    const invitation = await this.invitations.findOpenFor(
      await this.emailOf(principal),
      invitationId,
    );
    if (!invitation) throw notFound();
    return invitation;
  }

  private async emailOf(principal: Principal): Promise<string> {
    const user = await this.users.findView(principal.userId);
    if (!user) throw notFound();
    return user.email;
  }

  private event(userId: string, message: string, details: Record<string, unknown>): void {
    this.events?.log({ service: 'entities', level: 'INFO', message, details, userId });
  }
}
