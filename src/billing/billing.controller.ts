import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal, Public } from '../common/auth/access';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { BillingService } from './billing.service';
import { LedgerPageResponse, PlanResponse, SubscriptionResponse } from './dto/billing.response';
import { ChangePlanDto } from './dto/change-plan.dto';

/** Plans, the caller's own subscription and its compute-unit ledger. */
@ApiTags('billing')
@Controller('billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  /** The plans on offer (no credentials needed). */
  @Get('plans')
  @Public()
  @ApiOkResponse({ type: [PlanResponse] })
  plans(): Promise<PlanResponse[]> {
    return this.billing.listPlans();
  }

  /** Your subscription in its current period: plan, compute units (limit, used, remaining), task cap. */
  @Get('subscription')
  @Authenticated()
  @ApiOkResponse({ type: SubscriptionResponse })
  subscription(@CurrentPrincipal() principal: Principal): Promise<SubscriptionResponse> {
    return this.billing.getSubscription(principal.userId);
  }

  /**
   * Switches your own plan (same period, used CU kept). Platform admins may choose any plan;
   * everyone else only `free` (paid plans arrive through the Lemon Squeezy webhook).
   */
  @Post('subscription')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiBadRequestResponse({ description: 'planId missing or malformed' })
  @ApiForbiddenResponse({
    description: 'A paid plan chosen by a non-admin, or the call was made with an API key',
  })
  @ApiNotFoundResponse({ description: 'No such plan' })
  changePlan(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePlanDto,
  ): Promise<SubscriptionResponse> {
    return this.billing.changePlan(principal, dto.planId);
  }

  /** Cancels at the end of the current period: the free plan applies from then on. */
  @Post('subscription/cancel')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiForbiddenResponse({ description: 'The call was made with an API key' })
  cancel(@CurrentPrincipal() principal: Principal): Promise<SubscriptionResponse> {
    return this.billing.cancelAtPeriodEnd(principal);
  }

  /** The current period's compute-unit ledger (charges and refunds), newest first. */
  @Get('usage')
  @Authenticated()
  @ApiOkResponse({ type: LedgerPageResponse })
  @ApiBadRequestResponse({ description: 'Invalid limit or cursor' })
  usage(
    @CurrentPrincipal() principal: Principal,
    @Query() query: CursorPageQueryDto,
  ): Promise<LedgerPageResponse> {
    return this.billing.usageLedger(principal.userId, query);
  }
}
