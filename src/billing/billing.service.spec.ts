import { createHmac } from 'node:crypto';
import { ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { FixedClock } from '../common/clock/clock';
import { AppConfig } from '../config/app-config';
import { generateApiKey, hashApiKey } from './api-keys.service';
import { BillingRepository } from './billing.repository';
import { BillingService, nextPeriod, PERIOD_MS } from './billing.service';
import { LemonSqueezyWebhookService } from './lemon-squeezy-webhook.service';
import { WebhookEventsRepository } from './webhook-events.repository';

describe('billing rules', () => {
  describe('nextPeriod', () => {
    const end = new Date('2026-01-31T00:00:00.000Z');

    it('starts where the ended period stopped when that was less than a period ago', () => {
      const period = nextPeriod(end, new Date(end.getTime() + 1000));
      expect(period).toEqual({ start: end, end: new Date(end.getTime() + PERIOD_MS) });
    });

    it('skips whole periods that passed unused, staying aligned to the first', () => {
      const now = new Date(end.getTime() + 2.5 * PERIOD_MS);
      const period = nextPeriod(end, now);
      expect(period.start).toEqual(new Date(end.getTime() + 2 * PERIOD_MS));
      expect(period.start <= now && now < period.end).toBe(true);
    });
  });

  describe('consumeComputeUnits', () => {
    it('refuses amounts that are not positive integers before touching the database', async () => {
      const repository = { charge: jest.fn() } as unknown as BillingRepository;
      const service = new BillingService(repository, {} as never, new FixedClock());
      for (const units of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
        await expect(service.consumeComputeUnits('u', units, null, 'x')).rejects.toMatchObject({
          status: 400,
        });
      }
      expect(repository.charge).not.toHaveBeenCalled();
    });
  });

  describe('API keys', () => {
    it('makes ck_live_ keys of 43 base62 characters (32 random bytes), all different', () => {
      const keys = new Set(Array.from({ length: 200 }, () => generateApiKey()));
      expect(keys.size).toBe(200);
      for (const key of keys) expect(key).toMatch(/^ck_live_[0-9A-Za-z]{43}$/);
    });

    it('stores the SHA-256 of the whole key', () => {
      expect(hashApiKey('ck_live_abc')).toMatch(/^[0-9a-f]{64}$/);
      expect(hashApiKey('ck_live_abc')).not.toBe(hashApiKey('ck_live_abd'));
    });
  });

  describe('Lemon Squeezy webhook', () => {
    const service = (secret: string | null) => {
      const events = { findStatus: jest.fn(), insertEvent: jest.fn() };
      const config = { billing: { lemonSqueezyWebhookSecret: secret } } as AppConfig;
      const webhook = new LemonSqueezyWebhookService(
        config,
        events as unknown as WebhookEventsRepository,
        {} as never,
        {} as never,
        {} as never,
        new FixedClock(),
      );
      return { webhook, events };
    };

    it('answers 503 when no secret is configured, storing nothing', async () => {
      const { webhook, events } = service(null);
      await expect(webhook.receive('{}', 'ab'.repeat(32), {})).rejects.toBeInstanceOf(
        ServiceUnavailableException,
      );
      expect(events.insertEvent).not.toHaveBeenCalled();
    });

    it('answers 401 before reading anything when the signature is missing or wrong', async () => {
      const { webhook, events } = service('the-secret-123');
      await expect(webhook.receive('{}', undefined, {})).rejects.toBeInstanceOf(
        UnauthorizedException,
      );
      const wrong = createHmac('sha256', 'other-secret').update('{}').digest('hex');
      await expect(webhook.receive('{}', wrong, {})).rejects.toBeInstanceOf(UnauthorizedException);
      expect(events.findStatus).not.toHaveBeenCalled();
    });
  });
});
