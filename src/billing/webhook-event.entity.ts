import { Column, Entity, Index, PrimaryColumn, PrimaryColumnOptions, Unique } from 'typeorm';
import { jsonColumn, NOW_DEFAULT, timestampColumn, uuidColumn } from '../database/column-types';

export const WEBHOOK_EVENT_STATUSES = ['processed', 'ignored', 'rejected'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

/**
 * Every signed webhook delivery, once per (provider, event id): the unique constraint is what
 * makes a replayed delivery a no-op. Unsigned or wrongly signed requests are never stored.
 */
@Entity('webhook_events')
@Unique('uq_webhook_events_provider_event', ['provider', 'eventId'])
@Index('ix_webhook_events_created', ['createdAt'])
export class WebhookEvent {
  @PrimaryColumn(uuidColumn() as PrimaryColumnOptions)
  id: string;

  @Column({ type: 'varchar', length: 50 })
  provider: string;

  /** The provider's event id, or the SHA-256 of the raw body when the provider sends none. */
  @Column({ type: 'varchar', length: 200 })
  eventId: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  eventName: string | null;

  @Column(jsonColumn({ nullable: true }))
  payload: unknown;

  @Column({ type: 'varchar', length: 20 })
  status: WebhookEventStatus;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  error: string | null;

  @Column(timestampColumn({ nullable: true }))
  processedAt: Date | null;

  @Column(timestampColumn({ default: NOW_DEFAULT }))
  createdAt: Date;
}
