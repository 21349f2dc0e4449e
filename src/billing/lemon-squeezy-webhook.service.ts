import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  BadRequestException,
  Injectable,
  Logger,
  OnModuleInit,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Clock } from '../common/clock/clock';
import { SystemEventLog } from '../common/observability/system-event-log';
import { isUuid } from '../common/uuid';
import { AppConfig } from '../config/app-config';
import { classifyDatabaseError } from '../database/database-errors';
import { Tx, UnitOfWork } from '../database/unit-of-work';
import { UsersService } from '../users/users.service';
import { BillingService, PERIOD_MS } from './billing.service';
import { NewPeriod } from './billing.repository';
import { PlanRow } from './subscription-row';
import { WebhookEventStatus } from './webhook-event.entity';
import { WebhookEventsRepository } from './webhook-events.repository';

export const PROVIDER = 'lemonsqueezy';

export const HANDLED_EVENTS = [
  'subscription_created',
  'subscription_updated',
  'subscription_cancelled',
  'subscription_expired',
  'subscription_payment_success',
] as const;
type HandledEvent = (typeof HANDLED_EVENTS)[number];

/** Longest period end taken from a payload (a year and a bit past now). */
const MAX_PERIOD_MS = 400 * 24 * 60 * 60 * 1000;

export interface WebhookOutcome {
  /** HTTP status to answer: 200 processed or already seen, 202 ignored. */
  httpStatus: 200 | 202;
  status: 'processed' | 'duplicate' | 'ignored';
  eventId: string;
}

/** What a handled event carries, once its shape is checked. */
interface ParsedEvent {
  name: HandledEvent;
  userId: string;
  plan: PlanRow | null;
  providerSubscriptionId: string | null;
  periodEnd: Date | null;
  cancelled: boolean | null;
}

class Rejection extends Error {}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const idText = (value: unknown): string | null =>
  typeof value === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(value)
    ? value
    : typeof value === 'number' && Number.isSafeInteger(value) && value > 0
      ? String(value)
      : null;

/**
 * POST /v1/billing/webhooks/lemonsqueezy. The signature (`X-Signature`: hex HMAC-SHA256 of the
 * raw request body with LEMON_SQUEEZY_WEBHOOK_SECRET) is checked in constant time before
 * anything else is read or stored. Each signed delivery is stored once in webhook_events
 * (unique per provider and event id: the provider's `meta.event_id`, else the SHA-256 of the
 * raw body), together with its effect in one unit of work, so a replay changes nothing.
 */
@Injectable()
export class LemonSqueezyWebhookService implements OnModuleInit {
  private readonly log = new Logger('LemonSqueezyWebhook');
  private readonly secret: string | null;

  constructor(
    config: AppConfig,
    private readonly events: WebhookEventsRepository,
    private readonly billing: BillingService,
    private readonly users: UsersService,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    @Optional() private readonly systemLog?: SystemEventLog,
  ) {
    this.secret = config.billing.lemonSqueezyWebhookSecret;
  }

  onModuleInit(): void {
    if (!this.secret) {
      this.log.warn(
        'LEMON_SQUEEZY_WEBHOOK_SECRET is not set: POST /v1/billing/webhooks/lemonsqueezy answers 503',
      );
    }
  }

  async receive(
    rawBody: string | undefined,
    signature: string | undefined,
    body: unknown,
  ): Promise<WebhookOutcome> {
    if (!signature) throw new UnauthorizedException('The X-Signature header is missing');
    if (!this.secret) {
      throw new ServiceUnavailableException('The Lemon Squeezy webhook is not configured');
    }
    const raw = rawBody ?? '';
    if (!this.validSignature(raw, signature)) {
      throw new UnauthorizedException('The X-Signature header does not match the body');
    }
    const meta = isObject(body) && isObject(body.meta) ? body.meta : null;
    const eventId =
      (meta && typeof meta.event_id === 'string' && /^[\x21-\x7e]{1,200}$/.test(meta.event_id)
        ? meta.event_id
        : null) ?? createHash('sha256').update(raw, 'utf8').digest('hex');
    const seen = await this.events.findStatus(PROVIDER, eventId);
    if (seen) return this.replayed(seen, eventId);

    const eventName =
      meta && typeof meta.event_name === 'string' ? meta.event_name.slice(0, 100) : null;
    let parsed: ParsedEvent;
    try {
      if (!eventName) throw new Rejection('meta.event_name is missing');
      if (!(HANDLED_EVENTS as readonly string[]).includes(eventName)) {
        return await this.store(eventId, eventName, body, 'ignored', null);
      }
      parsed = await this.parse(eventName as HandledEvent, body as Json);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      return this.reject(eventId, eventName, body, error.message);
    }
    try {
      await this.uow.run(async (tx) => {
        await this.events.insertEvent(
          {
            provider: PROVIDER,
            eventId,
            eventName,
            payload: body,
            status: 'processed',
            error: null,
          },
          { tx },
        );
        await this.apply(parsed, tx);
      });
    } catch (error) {
      if (classifyDatabaseError(error) !== 'unique') throw error;
      // The same delivery was processed concurrently: answer as for a replay.
      const status = await this.events.findStatus(PROVIDER, eventId);
      if (status) return this.replayed(status, eventId);
      throw error;
    }
    return { httpStatus: 200, status: 'processed', eventId };
  }

  private validSignature(raw: string, signature: string): boolean {
    if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false;
    const expected = createHmac('sha256', this.secret!).update(raw, 'utf8').digest();
    return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
  }

  private replayed(status: WebhookEventStatus, eventId: string): WebhookOutcome {
    if (status === 'rejected') {
      throw new BadRequestException(`Event ${eventId} was rejected before and stays rejected`);
    }
    return status === 'ignored'
      ? { httpStatus: 202, status: 'ignored', eventId }
      : { httpStatus: 200, status: 'duplicate', eventId };
  }

  private async store(
    eventId: string,
    eventName: string | null,
    body: unknown,
    status: 'ignored' | 'rejected',
    error: string | null,
  ): Promise<WebhookOutcome> {
    try {
      await this.events.insertEvent({
        provider: PROVIDER,
        eventId,
        eventName,
        payload: body,
        status,
        error,
      });
    } catch (failure) {
      if (classifyDatabaseError(failure) !== 'unique') throw failure;
    }
    return { httpStatus: 202, status: 'ignored', eventId };
  }

  private async reject(
    eventId: string,
    eventName: string | null,
    body: unknown,
    why: string,
  ): Promise<never> {
    await this.store(eventId, eventName, body, 'rejected', why);
    this.log.warn({ eventId, eventName }, `Lemon Squeezy webhook rejected: ${why}`);
    this.systemLog?.log({
      service: 'billing',
      level: 'WARNING',
      message: `Lemon Squeezy webhook rejected: ${why}`,
      details: { eventId, eventName },
    });
    throw new BadRequestException(
      `The webhook payload is not a valid ${eventName ?? 'event'}: ${why}`,
    );
  }

  private async parse(name: HandledEvent, body: Json): Promise<ParsedEvent> {
    const meta = body.meta as Json;
    const custom = isObject(meta.custom_data) ? meta.custom_data : null;
    const userId = custom?.user_id;
    if (!isUuid(userId)) throw new Rejection('meta.custom_data.user_id must be a user id');
    const user = await this.users.findView(userId.toLowerCase());
    if (!user) throw new Rejection('meta.custom_data.user_id names no user');
    const data = isObject(body.data) ? body.data : null;
    const attributes = data && isObject(data.attributes) ? data.attributes : null;
    if (!data || !attributes) throw new Rejection('data.attributes is missing');

    let plan: PlanRow | null = null;
    const variantId = idText(attributes.variant_id);
    if (attributes.variant_id !== undefined && attributes.variant_id !== null) {
      if (!variantId) throw new Rejection('data.attributes.variant_id is not a variant id');
      plan = await this.billing.planByVariant(variantId);
      if (!plan) throw new Rejection(`variant ${variantId} is not mapped to a plan`);
    } else if (name === 'subscription_created' || name === 'subscription_updated') {
      throw new Rejection('data.attributes.variant_id is missing');
    }
    const providerSubscriptionId =
      name === 'subscription_payment_success'
        ? idText(attributes.subscription_id)
        : idText(data.id);
    if (!providerSubscriptionId) throw new Rejection('the subscription id is missing');

    let periodEnd: Date | null = null;
    if (typeof attributes.renews_at === 'string') {
      const at = new Date(attributes.renews_at);
      const now = this.clock.now().getTime();
      if (!Number.isNaN(at.getTime()) && at.getTime() > now && at.getTime() < now + MAX_PERIOD_MS)
        periodEnd = at;
    }
    const cancelled = typeof attributes.cancelled === 'boolean' ? attributes.cancelled : null;
    return { name, userId: user.id, plan, providerSubscriptionId, periodEnd, cancelled };
  }

  private async apply(event: ParsedEvent, tx: Tx): Promise<void> {
    const now = this.clock.now();
    const period: NewPeriod = {
      start: now,
      end: event.periodEnd ?? new Date(now.getTime() + PERIOD_MS),
    };
    switch (event.name) {
      case 'subscription_created':
        await this.billing.startPaidPeriod(
          event.userId,
          event.plan!,
          period,
          event.providerSubscriptionId,
          tx,
        );
        break;
      case 'subscription_payment_success': {
        const plan = event.plan ?? (await this.billing.current(event.userId, { tx })).plan;
        await this.billing.startPaidPeriod(
          event.userId,
          plan,
          period,
          event.providerSubscriptionId,
          tx,
        );
        break;
      }
      case 'subscription_updated':
        await this.billing.updatePaid(
          event.userId,
          {
            plan: event.plan!,
            ...(event.cancelled !== null ? { cancelAtPeriodEnd: event.cancelled } : {}),
          },
          tx,
        );
        break;
      case 'subscription_cancelled':
        await this.billing.updatePaid(event.userId, { cancelAtPeriodEnd: true }, tx);
        break;
      case 'subscription_expired':
        await this.billing.expireToFree(event.userId, tx);
        break;
    }
  }
}
