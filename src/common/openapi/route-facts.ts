import { INestApplication } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { RouteFacts } from './openapi-contract';

/**
 * @nestjs/throttler's @SkipThrottle() marks a handler or controller with this metadata key
 * (`THROTTLER:SKIP` + the throttler's name; ours is `default`, src/common/http/throttling.module.ts).
 * A unit test (openapi-contract.spec.ts) fails if the library ever changes it.
 */
export const SKIP_DEFAULT_THROTTLER = 'THROTTLER:SKIPdefault';

/**
 * operationId → facts about each handler that the OpenAPI document does not carry (whether the
 * global throttler counts it). operationIds are @nestjs/swagger's default `Controller_method`.
 */
export function readRouteFacts(app: INestApplication): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  const discovery = app.get(DiscoveryService, { strict: false });
  const reflector = app.get(Reflector, { strict: false });
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
    if (!controller) continue;
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const skipped = reflector.getAllAndOverride<boolean | undefined>(SKIP_DEFAULT_THROTTLER, [
        handler as () => unknown,
        controller,
      ]);
      facts.set(`${controller.name}_${name}`, { throttled: skipped !== true, handler: name });
    }
  }
  return facts;
}
