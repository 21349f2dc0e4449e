import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * A creating POST that accepts `Idempotency-Key` (the Stripe model, README "Idempotency"):
 * IdempotencyInterceptor, attached here, does the rest. A route-level interceptor rather than a
 * global one, so that every other route skips Nest's interceptor chain (an rxjs pipeline per
 * request; issue 20). `x-idempotent` in the OpenAPI document makes the contract post-processor
 * document the header, the 409 (still in flight) and the 422 (the key was used with another
 * request), so declaring is all a route does.
 */
export const Idempotent = () =>
  applyDecorators(UseInterceptors(IdempotencyInterceptor), ApiExtension('x-idempotent', true));
