import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, DateTimeString, isoDateTime } from '../../common/http/date-time';
import { Scope, SCOPES } from '../../common/auth/access';
import { ApiKeyRow } from '../api-keys.repository';

/** An API key as lists show it: never the key itself nor its hash. */
export class ApiKeyResponse {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it. */
  prefix: string;
  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes: Scope[];
  @ApiDateTime({ nullable: true })
  expiresAt: DateTimeString | null;
  @ApiDateTime({ nullable: true })
  lastUsedAt: DateTimeString | null;
  usageCount: number;
  @ApiDateTime({ nullable: true })
  revokedAt: DateTimeString | null;
  @ApiDateTime()
  createdAt: DateTimeString;
}

/** The answer to creating a key: the only time the full key is shown. */
export class CreatedApiKeyResponse extends ApiKeyResponse {
  /** `ck_live_…`: store it now, it is not shown again. */
  key: string;
}

export class ApiKeyPageResponse {
  @ApiProperty({ type: [ApiKeyResponse] })
  items: ApiKeyResponse[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function toApiKeyResponse(row: ApiKeyRow): ApiKeyResponse {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    expiresAt: isoDateTime(row.expiresAt),
    lastUsedAt: isoDateTime(row.lastUsedAt),
    usageCount: row.usageCount,
    revokedAt: isoDateTime(row.revokedAt),
    createdAt: isoDateTime(row.createdAt),
  };
}
