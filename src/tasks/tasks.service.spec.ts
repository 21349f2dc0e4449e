import { taskConfigProblem } from './task-config';
import {
  assertTransition,
  canBeCancelled,
  computeUnitsFor,
  IllegalTransitionException,
  isFinished,
  TRANSITIONS,
} from './task-state-machine';
import { TASK_STATUSES } from './task.entity';
import { uuidv7 } from './uuid-v7';

describe('task rules', () => {
  describe('state machine', () => {
    it('allows exactly the documented transitions', () => {
      expect(TRANSITIONS).toEqual({
        pending: ['running', 'cancelled'],
        running: ['completed', 'failed', 'pending', 'cancelled'],
        completed: [],
        failed: [],
        cancelled: [],
      });
    });

    it('refuses anything else with a 409 that carries the current status', () => {
      for (const from of TASK_STATUSES) {
        for (const to of TASK_STATUSES) {
          if (TRANSITIONS[from].includes(to)) continue;
          let error: unknown;
          try {
            assertTransition(from, to, 'change');
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(IllegalTransitionException);
          expect((error as IllegalTransitionException).getResponse()).toMatchObject({
            extensions: { currentStatus: from },
          });
        }
      }
    });

    it('tells finished and cancellable statuses apart', () => {
      expect(TASK_STATUSES.filter(isFinished)).toEqual(['completed', 'failed', 'cancelled']);
      expect(TASK_STATUSES.filter(canBeCancelled)).toEqual(['pending', 'running']);
    });
  });

  describe('compute units for a run', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const at = (ms: number) => new Date(start.getTime() + ms);

    it('charges whole minutes rounded up, at least 1', () => {
      expect(computeUnitsFor(start, at(0))).toBe(1);
      expect(computeUnitsFor(start, at(1))).toBe(1);
      expect(computeUnitsFor(start, at(60_000))).toBe(1);
      expect(computeUnitsFor(start, at(60_001))).toBe(2);
      expect(computeUnitsFor(start, at(3_600_000))).toBe(60);
      expect(computeUnitsFor(null, at(5))).toBe(1);
      expect(computeUnitsFor(start, at(-5000))).toBe(1);
    });
  });

  describe('config', () => {
    const ok = { targetUrl: 'https://example.com/x' };

    it('accepts a minimal config and keeps unknown keys', () => {
      expect(taskConfigProblem(ok)).toBeNull();
      expect(taskConfigProblem({ ...ok, futureOption: { nested: [1, 2] } })).toBeNull();
      expect(
        taskConfigProblem({
          ...ok,
          containerSelector: '.item',
          fields: { title: { type: 'text', selector: 'h2' } },
          maxPages: 10,
          waitMs: 0,
        }),
      ).toBeNull();
    });

    it.each([
      ['not an object', 'https://example.com'],
      ['an array', [ok]],
      ['no targetUrl', {}],
      ['javascript:', { targetUrl: 'javascript:alert(1)' }],
      ['file:', { targetUrl: 'file:///etc/passwd' }],
      ['data:', { targetUrl: 'data:text/html,x' }],
      ['credentials', { targetUrl: 'https://a:b@example.com' }],
      ['a user name only', { targetUrl: 'https://a@example.com' }],
      ['a relative URL', { targetUrl: '/x' }],
      ['over 64 KB', { ...ok, pad: 'x'.repeat(64 * 1024) }],
      ['a bad field', { ...ok, fields: { a: { selector: 'x' } } }],
      ['maxPages 0', { ...ok, maxPages: 0 }],
      ['waitMs as text', { ...ok, waitMs: '5' }],
    ])('refuses %s', (_, config) => {
      expect(taskConfigProblem(config)).toEqual(expect.any(String));
    });
  });

  describe('log ids', () => {
    it('are UUIDv7 and increase within the process, so a batch keeps its order', () => {
      const ids = Array.from({ length: 5000 }, () => uuidv7());
      for (const id of ids)
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect([...ids].sort()).toEqual(ids);
    });
  });
});
