import { assertVersion, parseEntityTags, StaleVersion } from './etag';

describe('parseEntityTags (RFC 9110 §13.1.1)', () => {
  it('reads *, one tag, a list with weak tags and spaces', () => {
    expect(parseEntityTags('*')).toBe('*');
    expect(parseEntityTags('"lead-a-1"')).toEqual([{ weak: false, opaque: 'lead-a-1' }]);
    expect(parseEntityTags(' "a" , W/"b","c" ')).toEqual([
      { weak: false, opaque: 'a' },
      { weak: true, opaque: 'b' },
      { weak: false, opaque: 'c' },
    ]);
  });

  it('refuses what is not a list of quoted tags', () => {
    for (const bad of ['', 'lead-a-1', '"unterminated', '"a" "b"', '"a",,"b"', 'W/a', '"a"x']) {
      expect([bad, parseEntityTags(bad)]).toEqual([bad, undefined]);
    }
  });

  it('refuses an over-long list', () => {
    expect(parseEntityTags(Array.from({ length: 51 }, (_, i) => `"${i}"`).join(','))).toBe(
      undefined,
    );
  });
});

describe('assertVersion', () => {
  it('passes without a condition or with the current version; else StaleVersion with it', () => {
    expect(() => assertVersion(undefined, 3)).not.toThrow();
    expect(() => assertVersion([2, 3], 3)).not.toThrow();
    expect(() => assertVersion([2], 3)).toThrow(StaleVersion);
    expect(() => assertVersion([], 3)).toThrow(StaleVersion);
  });
});
