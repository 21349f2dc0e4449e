import { classifyDatabaseError } from './database-errors';

describe('classifyDatabaseError', () => {
  it.each([
    [{ driverError: { code: '23505' } }, 'unique'],
    [{ code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'unique'],
    [{ driverError: { code: '23503' } }, 'foreign_key'],
    [{ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }, 'foreign_key'],
    [{ driverError: { code: '57014' } }, 'timeout'],
    [{ driverError: { code: '55P03' } }, 'timeout'],
    [{ driverError: { code: '22021' } }, 'invalid_value'],
    [{ driverError: { code: '22P02' } }, 'invalid_value'],
    [{ code: 'ECONNREFUSED' }, 'unavailable'],
    [new Error('timeout exceeded when trying to connect'), 'unavailable'],
    [new Error('Connection terminated unexpectedly'), 'unavailable'],
    [{ name: 'MongoServerSelectionError', message: 'connect ECONNREFUSED' }, 'unavailable'],
    [{ name: 'MongoNetworkError' }, 'unavailable'],
    [{ name: 'MongoServerError', code: 11000 }, 'unique'],
    [{ name: 'MongoServerError', code: 50 }, 'timeout'],
    [{ name: 'StrictModeError' }, 'invalid_value'],
  ])('classifies %j as %s', (error, kind) => {
    expect(classifyDatabaseError(error)).toBe(kind);
  });

  it('leaves application errors alone', () => {
    expect(classifyDatabaseError(new TypeError('x is undefined'))).toBeNull();
    expect(classifyDatabaseError(undefined)).toBeNull();
  });
});
