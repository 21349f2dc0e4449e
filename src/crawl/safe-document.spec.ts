import { findUnsafeKey, jsonBytes } from './safe-document';

describe('findUnsafeKey', () => {
  it('accepts plain objects, arrays and operator-looking values (only keys matter)', () => {
    expect(findUnsafeKey({})).toBeNull();
    expect(
      findUnsafeKey({ a: [1, { b: '$ne', c: null }], 'key with spaces': { ok: true } }),
    ).toBeNull();
  });

  it.each([
    [{ $ne: null }, '$ne'],
    [{ a: { b: { $gt: '' } } }, 'a.b.$gt'],
    [{ list: [{ ok: 1 }, { $where: 'x' }] }, 'list[1].$where'],
    [{ 'a.b': 1 }, 'a.b'],
    [{ nested: { 'x.y': { z: 1 } } }, 'nested.x.y'],
  ])('finds the operator or dotted key in %j at %s', (value, path) => {
    expect(findUnsafeKey(value)).toEqual({ kind: 'operator-key', path });
  });

  it('refuses anything but a JSON object at the top', () => {
    for (const value of [null, [], 'x', 1, true])
      expect(findUnsafeKey(value)).toEqual({ kind: 'not-an-object', path: '' });
  });

  it('refuses nesting deeper than the limit', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(findUnsafeKey(deep)?.kind).toBe('too-deep');
    expect(findUnsafeKey(deep, 30)).toBeNull();
  });
});

describe('jsonBytes', () => {
  it('counts UTF-8 bytes of the JSON text', () => {
    expect(jsonBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
  });
});
