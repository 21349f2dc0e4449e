import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { isUuid } from '../uuid';
import { toInteger } from '../validation/transforms';

/** `?limit=1..100&cursor=…` — keyset paging, newest first (created_at desc, id desc). */
export class CursorPageQueryDto {
  /** Items per page, 1–100. */
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** Opaque cursor from the previous page's `nextCursor`. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not a valid cursor' })
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/** A cursor that does not decode to (timestamp, uuid) is a 400, never a 500. */
export function decodeCursor(cursor: string | undefined): CursorPosition | null {
  if (!cursor) return null;
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    const createdAt = new Date(String(iso));
    if (
      typeof iso !== 'string' ||
      Number.isNaN(createdAt.getTime()) ||
      typeof id !== 'string' ||
      !isUuid(id)
    ) {
      throw new Error('bad cursor');
    }
    return { createdAt, id: id.toLowerCase() };
  } catch {
    throw new BadRequestException({
      detail: 'cursor is not a valid cursor; use nextCursor from a previous page',
      errors: [{ field: 'cursor', message: 'cursor is not a valid cursor' }],
    });
  }
}

/** Given limit+1 rows fetched in keyset order, the page and the cursor to the next one. */
export function toPage<Row extends CursorPosition, Item>(
  rows: Row[],
  limit: number,
  map: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: hasMore && last ? encodeCursor(last) : null };
}
