import { Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { Role } from '../common/auth/access';
import { VersionedEntity } from '../database/base.entity';
import { uuidColumn } from '../database/column-types';
import { User } from '../users/user.entity';
import { OrgEntity } from './org.entity';

/**
 * A user's role in an entity. Deleting a user or an entity deletes its memberships
 * (CASCADE): a membership has no meaning without both ends.
 */
@Entity('user_memberships')
@Unique('uq_user_memberships_user_entity', ['userId', 'entityId'])
@Index('ix_user_memberships_entity', ['entityId'])
export class Membership extends VersionedEntity {
  @Column(uuidColumn())
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_memberships_user' })
  user?: User;

  @Column(uuidColumn())
  entityId: string;

  @ManyToOne(() => OrgEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'entity_id', foreignKeyConstraintName: 'fk_user_memberships_entity' })
  entity?: OrgEntity;

  @Column({ type: 'varchar', length: 10, default: 'member' })
  role: Role;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;
}
