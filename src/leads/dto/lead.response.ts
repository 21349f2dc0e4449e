import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import { LeadRow } from '../lead-row';
import { LEAD_STATUSES, LeadStatus } from '../lead.entity';

export class ResumeInfoResponse {
  /** Decided from the file's magic bytes. */
  contentType: string;
  size: number;
  fileName: string | null;
}

/** A lead as the API shows it (the storage key is never exposed). */
export class LeadResponse {
  id: string;
  entityId: string;
  firstName: string;
  lastName: string;
  email: string;
  @ApiProperty({ enum: LEAD_STATUSES })
  status: LeadStatus;
  @ApiDateTime({ nullable: true })
  reachedOutAt: DateTimeString | null;
  notes: string | null;
  /** null when no resume is attached; download it from `…/resume`. */
  @ApiPropertyOptional({ type: ResumeInfoResponse, nullable: true })
  resume: ResumeInfoResponse | null;
  /** Bumped by every write; the `ETag` of the lead's routes is made from it. */
  version: number;
  @ApiDateTime()
  createdAt: DateTimeString;
  @ApiDateTime()
  updatedAt: DateTimeString;
}

export class LeadPageResponse {
  @ApiProperty({ type: [LeadResponse] })
  items: LeadResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export class LeadNumberedPageResponse {
  @ApiProperty({ type: [LeadResponse] })
  items: LeadResponse[];
  /** Matching leads, counted exactly up to 10,000; when more match, 10,000 and `totalIsEstimate` is true. */
  total: number;
  /** True when more than 10,000 leads match: `total` is then a lower bound (page on with the cursor). */
  totalIsEstimate: boolean;
  page: number;
  limit: number;
}

export class LeadStatsByStatusResponse {
  PENDING: number;
  REACHED_OUT: number;
}

export class LeadStatsResponse {
  total: number;
  @ApiProperty({ type: LeadStatsByStatusResponse })
  byStatus: LeadStatsByStatusResponse;
  reachedOutLast7Days: number;
}

/** What the public intake form gets back. */
export class PublicLeadResponse {
  id: string;
  @ApiDateTime()
  createdAt: DateTimeString;
}

export function toLeadResponse(row: LeadRow): LeadResponse {
  return {
    id: row.id,
    entityId: row.entityId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    status: row.status,
    reachedOutAt: isoDateTime(row.reachedOutAt),
    notes: row.notes,
    resume: row.resumePath
      ? {
          contentType: row.resumeContentType ?? 'application/octet-stream',
          size: row.resumeSize ?? 0,
          fileName: row.resumeFileName,
        }
      : null,
    version: row.version,
    createdAt: isoDateTime(row.createdAt),
    updatedAt: isoDateTime(row.updatedAt),
  };
}
