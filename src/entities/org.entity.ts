import { Column, Entity, Index } from 'typeorm';
import { VersionedEntity } from '../database/base.entity';

/** An organisation ("entity" in the API): the tenant boundary. Table `entities`. */
@Entity('entities')
export class OrgEntity extends VersionedEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Index('uq_entities_slug', { unique: true })
  @Column({ type: 'varchar', length: 220 })
  slug: string;

  /** false = deleted (soft): its data is no longer reachable. */
  @Column({ type: 'boolean', default: true })
  isActive: boolean;
}
