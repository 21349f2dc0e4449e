import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { LEAD_STATUSES, LeadStatus } from '../lead.entity';
import { NoNul, trim } from '../../common/validation/transforms';
import { IsOptionalNotNull } from '../../common/validation/optional';

/** Any subset of the fields; `status` follows the reached-out rule; `notes: null` clears the notes. */
export class UpdateLeadDto {
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NoNul()
  firstName?: string;

  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NoNul()
  lastName?: string;

  @IsOptionalNotNull()
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be an email address' })
  email?: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  @NoNul()
  notes?: string | null;

  /** PENDING → REACHED_OUT sets reachedOutAt; back to PENDING clears it; the same status again changes nothing. */
  @IsOptionalNotNull()
  @IsIn(LEAD_STATUSES, { message: `status must be one of ${LEAD_STATUSES.join(', ')}` })
  status?: LeadStatus;
}
