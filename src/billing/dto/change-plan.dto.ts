import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** The plan to switch to: platform admins may choose any plan, everyone else only `free`. */
export class ChangePlanDto {
  /** A plan id from GET /v1/billing/plans. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  @Matches(/^[a-z0-9_-]+$/, {
    message: 'planId must be a plan id (lower-case letters, digits, - and _)',
  })
  planId: string;
}
