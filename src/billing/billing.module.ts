import { Global, Module } from '@nestjs/common';
import { ApiKeyResolver } from '../common/auth/access-ports';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { BillingController } from './billing.controller';
import { BillingRepository } from './billing.repository';
import { BillingService } from './billing.service';
import { LemonSqueezyWebhookController } from './lemon-squeezy-webhook.controller';
import { LemonSqueezyWebhookService } from './lemon-squeezy-webhook.service';
import { WebhookEventsRepository } from './webhook-events.repository';

/**
 * Plans, subscriptions, the compute-unit ledger, API keys and the Lemon Squeezy webhook.
 * Global: it provides the access guard's ApiKeyResolver app-wide, and BillingService to the
 * modules that charge compute units (tasks) or start subscriptions (auth, at registration).
 */
@Global()
@Module({
  controllers: [BillingController, ApiKeysController, LemonSqueezyWebhookController],
  providers: [
    BillingRepository,
    ApiKeysRepository,
    WebhookEventsRepository,
    BillingService,
    ApiKeysService,
    LemonSqueezyWebhookService,
    { provide: ApiKeyResolver, useExisting: ApiKeysService },
  ],
  exports: [BillingService, ApiKeyResolver],
})
export class BillingModule {}
