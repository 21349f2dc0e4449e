import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthenticatedRequest } from '../common/auth/access';
import { UsageService } from './usage.service';

/**
 * Counts every API call an authenticated caller makes in UsageService's in-memory counters: a
 * map increment, no I/O on the request path. A global guard that always admits, registered
 * after the app's guards (AppModule's come first), so it runs only once the access guard has
 * let the call through. Not an interceptor: a global interceptor puts Nest's rxjs chain on
 * every request, which cost more than the count itself (issue 20).
 */
@Injectable()
export class ApiCallCounter implements CanActivate {
  constructor(private readonly usage: UsageService) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      const userId = context.switchToHttp().getRequest<AuthenticatedRequest>().principal?.userId;
      if (userId) this.usage.countApiCall(userId);
    }
    return true;
  }
}
