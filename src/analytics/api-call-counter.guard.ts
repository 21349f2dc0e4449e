import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AuthenticatedRequest } from '../common/auth/access';
import { UsageService } from './usage.service';

/**
 * Counts every API call an authenticated caller makes (after the access guard let it through)
 * in UsageService's in-memory counters: a map increment, no I/O on the request path.
 */
@Injectable()
export class ApiCallCounter implements NestInterceptor {
  constructor(private readonly usage: UsageService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const userId = context.switchToHttp().getRequest<AuthenticatedRequest>().principal?.userId;
      if (userId) this.usage.countApiCall(userId);
    }
    return next.handle();
  }
}
