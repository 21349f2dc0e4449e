import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { MAX_PROBLEM_ERRORS, toProblem } from './problem.filter';

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
      new BadRequestException({
        detail: 'email must be an email',
        errors: [{ field: 'email', message: 'email must be an email' }],
      }),
      '/v1/auth/register',
    );
    expect(problem).toMatchObject({
      status: 400,
      errors: [{ field: 'email', message: 'email must be an email' }],
    });
  });

  it('never grows with the input: errors[] capped, detail and field names cut', () => {
    const errors = Array.from({ length: 5_000 }, (_, i) => ({
      field: `k${i}`.repeat(1_000),
      message: 'property should not exist',
    }));
    const problem = toProblem(
      new BadRequestException({ detail: 'x'.repeat(1_000_000), errors }),
      '/v1/auth/login',
    );
    expect(problem.errors).toHaveLength(MAX_PROBLEM_ERRORS);
    expect(problem.detail.length).toBeLessThanOrEqual(1_000);
    expect(JSON.stringify(problem).length).toBeLessThan(16_000);
  });

  it('turns a unique violation from either driver into 409 without SQL', () => {
    const pg = toProblem(
      {
        driverError: { code: '23505', detail: 'Key (email)=(a@b.c) exists' },
        message: 'duplicate key',
      },
      '/',
    );
    const sqlite = toProblem(
      { code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: users.email' },
      '/',
    );
    for (const problem of [pg, sqlite]) {
      expect(problem.status).toBe(409);
      expect(problem.type).toBe('/problems/conflict');
      expect(JSON.stringify(problem)).not.toMatch(/users|email|key/i);
    }
  });

  it('answers a database outage with 503', () => {
    expect(
      toProblem(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), '/')
        .status,
    ).toBe(503);
  });

  it('answers a value PostgreSQL cannot store (NUL byte in text) with 400, not 500', () => {
    const problem = toProblem(
      {
        driverError: { code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' },
      },
      '/v1/entities',
    );
    expect(problem.status).toBe(400);
    expect(problem.detail).not.toMatch(/0x00|UTF8/);
  });

  it('answers a multipart body busboy cannot read with 400', () => {
    expect(toProblem(new Error('Multipart: Boundary not found'), '/v1/x').status).toBe(400);
    expect(toProblem(new Error('Unexpected end of multipart data'), '/v1/x').status).toBe(400);
  });

  it('hides the message and stack of an unexpected error', () => {
    const problem = toProblem(new TypeError('secret internal detail'), '/');
    expect(problem).toMatchObject({ status: 500, detail: 'An unexpected error occurred' });
    expect(JSON.stringify(problem)).not.toContain('secret');
  });

  it('uses an explicit problem type when the exception gives one', () => {
    expect(
      toProblem(new ConflictException({ type: '/problems/last-owner', detail: 'x' }), '/').type,
    ).toBe('/problems/last-owner');
  });
});
