import { checkJsonShape, MAX_JSON_KEYS_PER_OBJECT, MAX_JSON_KEYS_TOTAL } from './json-body.parser';

const wide = (n: number) =>
  JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));

describe('checkJsonShape', () => {
  it('accepts ordinary bodies, colons inside strings included', () => {
    expect(checkJsonShape('{"a":"x:y:z","b":[{"c":1},{"d":"\\":"}]}')).toBeNull();
    expect(checkJsonShape(wide(MAX_JSON_KEYS_PER_OBJECT))).toBeNull();
  });

  it('refuses an object with too many keys, and too many keys across objects', () => {
    expect(checkJsonShape(wide(MAX_JSON_KEYS_PER_OBJECT + 1))).toBe('too-many-keys');
    const per = Math.floor(MAX_JSON_KEYS_PER_OBJECT / 2);
    const objects = Math.ceil(MAX_JSON_KEYS_TOTAL / per) + 1;
    const many = `[${Array.from({ length: objects }, () => wide(per)).join(',')}]`;
    expect(checkJsonShape(many)).toBe('too-many-keys');
  });

  it('counts keys per object, not per depth: siblings do not add up', () => {
    const per = MAX_JSON_KEYS_PER_OBJECT - 1;
    expect(checkJsonShape(`[${wide(per)},${wide(per)}]`)).toBeNull();
  });

  it('refuses nesting deeper than the bound', () => {
    expect(checkJsonShape('['.repeat(40) + ']'.repeat(40))).toBe('too-deep');
  });

  it('scans 100,000 keys in a few milliseconds', () => {
    const text = wide(100_000);
    const started = performance.now();
    expect(checkJsonShape(text)).toBe('too-many-keys');
    expect(performance.now() - started).toBeLessThan(50);
  });
});
