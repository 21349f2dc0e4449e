import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { toProblem } from './problem.filter';

describe('toProblem', () => {
  it('renders a Nest exception with its status and a stable type', () => {
    expect(toProblem(new NotFoundException('Lead not found'), '/v1/x', 'r1')).toEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'Lead not found',
      instance: '/v1/x',
      requestId: 'r1',
    });
  });

  it('keeps field errors from validation', () => {
    const problem = toProblem(
      new BadRequestException({ detail: 'email must be an email', errors: [{ field: 'email', message: 'email must be an email' }] }),
      '/v1/auth/register',
    );
    expect(problem).toMatchObject({ status: 400, errors: [{ field: 'email', message: 'email must be an email' }] });
  });

  it('turns a unique violation from either driver into 409 without SQL', () => {
    const pg = toProblem({ driverError: { code: '23505', detail: 'Key (email)=(a@b.c) exists' }, message: 'duplicate key' }, '/');
    const sqlite = toProblem({ code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: users.email' }, '/');
    for (const problem of [pg, sqlite]) {
      expect(problem.status).toBe(409);
      expect(problem.type).toBe('/problems/conflict');
      expect(JSON.stringify(problem)).not.toMatch(/users|email|key/i);
    }
  });

  it('answers a database outage with 503', () => {
    expect(toProblem(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), '/').status).toBe(503);
  });

  it('hides the message and stack of an unexpected error', () => {
    const problem = toProblem(new TypeError('secret internal detail'), '/');
    expect(problem).toMatchObject({ status: 500, detail: 'An unexpected error occurred' });
    expect(JSON.stringify(problem)).not.toContain('secret');
  });

  it('uses an explicit problem type when the exception gives one', () => {
    expect(toProblem(new ConflictException({ type: '/problems/last-owner', detail: 'x' }), '/').type).toBe('/problems/last-owner');
  });
});
