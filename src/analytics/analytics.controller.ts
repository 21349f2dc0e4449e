import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal, Scopes } from '../common/auth/access';
import { UsageQueryDto } from './dto/usage.query.dto';
import { UsageReportResponse } from './dto/usage.response';
import { UsageService } from './usage.service';

/** Usage analytics: what a user consumed per UTC day. */
@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly usage: UsageService) {}

  /** Your usage per UTC day from `from` to `to` (≤ 366 days), with totals; admins may pass userId. */
  @Get('usage')
  @Authenticated()
  @Scopes('analytics:read')
  @ApiOkResponse({ type: UsageReportResponse })
  @ApiBadRequestResponse({ description: 'Bad date, from after to, or a range over 366 days' })
  @ApiForbiddenResponse({ description: 'userId of another user, and you are not a platform admin' })
  usageReport(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageQueryDto,
  ): Promise<UsageReportResponse> {
    return this.usage.report(principal, query);
  }
}
