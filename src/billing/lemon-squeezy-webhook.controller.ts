import { Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/auth/access';
import { LemonSqueezyWebhookService } from './lemon-squeezy-webhook.service';
import { WebhookReceiptResponse } from './dto/webhook.response';

/** Lemon Squeezy's subscription events (public: authenticated by the body's HMAC signature). */
@ApiTags('billing')
@Controller('billing/webhooks')
export class LemonSqueezyWebhookController {
  constructor(private readonly webhook: LemonSqueezyWebhookService) {}

  /**
   * Receives subscription_created, subscription_updated, subscription_cancelled,
   * subscription_expired and subscription_payment_success (`meta.custom_data.user_id` names
   * the user, `data.attributes.variant_id` the plan). A delivery seen before answers 200 and
   * changes nothing; other event names are stored as ignored (202).
   */
  @Post('lemonsqueezy')
  @HttpCode(200)
  @Public()
  @ApiHeader({
    name: 'X-Signature',
    required: true,
    description: 'Hex HMAC-SHA256 of the raw request body with LEMON_SQUEEZY_WEBHOOK_SECRET',
  })
  @ApiBody({
    description: 'A Lemon Squeezy webhook event',
    schema: {
      type: 'object',
      required: ['meta', 'data'],
      properties: {
        meta: {
          type: 'object',
          properties: {
            event_name: { type: 'string', example: 'subscription_created' },
            custom_data: {
              type: 'object',
              properties: { user_id: { type: 'string', format: 'uuid' } },
            },
          },
        },
        data: { type: 'object' },
      },
    },
  })
  @ApiOkResponse({ type: WebhookReceiptResponse, description: 'Processed, or already processed' })
  @ApiAcceptedResponse({
    type: WebhookReceiptResponse,
    description: 'Event name not handled: stored as ignored',
  })
  @ApiBadRequestResponse({ description: 'Signed, but not the expected shape: stored as rejected' })
  @ApiUnauthorizedResponse({ description: 'X-Signature missing or wrong: nothing stored' })
  @ApiPayloadTooLargeResponse({ description: 'Body over 1 MiB' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Body is not JSON' })
  @ApiServiceUnavailableResponse({ description: 'LEMON_SQUEEZY_WEBHOOK_SECRET is not configured' })
  async lemonSqueezy(
    @Req() request: FastifyRequest & { rawBody?: string },
    @Headers('x-signature') signature: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookReceiptResponse> {
    const outcome = await this.webhook.receive(request.rawBody, signature, request.body);
    reply.status(outcome.httpStatus);
    return { status: outcome.status, eventId: outcome.eventId };
  }
}
