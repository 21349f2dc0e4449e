import { waitAtMost } from './shutdown-wait';

describe('waitAtMost', () => {
  afterEach(() => jest.useRealTimers());

  it('returns when the work ends before the bound', async () => {
    let done = false;
    await waitAtMost(
      Promise.resolve().then(() => (done = true)),
      60_000,
    );
    expect(done).toBe(true);
  });

  it('returns at the bound when the work never ends (the listener can close)', async () => {
    jest.useFakeTimers();
    let returned = false;
    const waiting = waitAtMost(new Promise(() => undefined), 250).then(() => (returned = true));
    await jest.advanceTimersByTimeAsync(249);
    expect(returned).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(returned).toBe(true);
  });
});
