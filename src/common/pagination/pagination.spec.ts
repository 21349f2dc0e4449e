import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('keyset cursors', () => {
  const position = {
    createdAt: new Date('2026-03-04T05:06:07.890Z'),
    id: '0b6f8c1e-2f4a-4c1b-9d3e-5a6b7c8d9e0f',
  };

  it('round-trips created_at with millisecond precision and the id', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 json', 'abc'],
    ['a bad date', Buffer.from(JSON.stringify(['yesterday', position.id])).toString('base64url')],
    [
      'a bad id',
      Buffer.from(JSON.stringify([position.createdAt.toISOString(), "1' OR 1=1"])).toString(
        'base64url',
      ),
    ],
    ['an object', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
  ])('refuses %s with a 400', (_label, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(BadRequestException);
  });

  it('builds the next cursor from the last row of a full page only', () => {
    const rows = [0, 1, 2].map((i) => ({
      createdAt: new Date(Date.UTC(2026, 0, 3 - i)),
      id: `${i}`,
    }));
    const page = toPage(rows, 2, (row) => row.id);
    expect(page.items).toEqual(['0', '1']);
    expect(decodeCursorLoose(page.nextCursor!)).toEqual([rows[1].createdAt.toISOString(), '1']);
    expect(toPage(rows, 3, (row) => row.id).nextCursor).toBeNull();
  });
});

function decodeCursorLoose(cursor: string): unknown {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
}
