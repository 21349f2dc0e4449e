import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IDEMPOTENT_KEY = 'cornerstone:idempotent';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** 1–255 printable ASCII characters (space to tilde). */
export const IDEMPOTENCY_KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

/**
 * A creating POST that accepts `Idempotency-Key` (the Stripe model, README "Idempotency"):
 * the global IdempotencyInterceptor does the rest. `x-idempotent` in the OpenAPI document makes
 * the contract post-processor document the header, the 409 (still in flight) and the 422
 * (the key was used with another request), so declaring is all a route does.
 */
export const Idempotent = () =>
  applyDecorators(SetMetadata(IDEMPOTENT_KEY, true), ApiExtension('x-idempotent', true));
