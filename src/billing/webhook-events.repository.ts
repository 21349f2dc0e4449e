import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock';
import { execute, queryRows } from '../database/raw-sql';
import { QueryOptions, SqlRepository } from '../database/sql-repository';
import { WebhookEventStatus } from './webhook-event.entity';

export interface NewWebhookEvent {
  provider: string;
  eventId: string;
  eventName: string | null;
  payload: unknown;
  status: WebhookEventStatus;
  error: string | null;
}

/** Every query on webhook_events. */
@Injectable()
export class WebhookEventsRepository extends SqlRepository {
  constructor(@InjectDataSource() dataSource: DataSource, clock: Clock) {
    super(dataSource, clock);
  }

  /** One INSERT; a replay of (provider, event id) fails on the unique constraint. */
  async insertEvent(event: NewWebhookEvent, options: QueryOptions = {}): Promise<void> {
    const now = this.clock.now();
    await this.on(options, (m) =>
      execute(
        m,
        `INSERT INTO webhook_events (id, provider, event_id, event_name, payload, status, error, processed_at, created_at)
         VALUES (:id, :provider, :eventId, :eventName, :payload, :status, :error, :processedAt, :now)`,
        {
          id: randomUUID(),
          ...event,
          payload: event.payload === undefined ? null : JSON.stringify(event.payload),
          processedAt: event.status === 'processed' ? now : null,
          now,
        },
      ),
    );
  }

  async findStatus(provider: string, eventId: string): Promise<WebhookEventStatus | null> {
    const [raw] = await this.on({ primary: true }, (m) =>
      queryRows<{ status: WebhookEventStatus }>(
        m,
        'SELECT status FROM webhook_events WHERE provider = :provider AND event_id = :eventId',
        { provider, eventId },
      ),
    );
    return raw?.status ?? null;
  }
}
