import { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Request parsing bounds, timed (this project runs alone, so the timings mean something).
 * A 1 MB JSON object with 100,000 keys used to take ~10 s in class-transformer and answer a
 * 9.5 MB problem listing every key, while /health/live waited behind it.
 */
describe('request limits hold the event loop for milliseconds, not seconds', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp({ label: 'limits' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  const wide = JSON.stringify(
    Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [i.toString(36), 1])),
  );

  const login = async () => {
    const started = performance.now();
    const res = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: wide,
    });
    const body = await res.text();
    return { status: res.status, bytes: Buffer.byteLength(body), ms: performance.now() - started };
  };

  it('answers a 100,000-key login body with a small 400 in under 100 ms', async () => {
    await login(); // warm the route
    const res = await login();
    process.stdout.write(
      `100,000-key login: ${res.status} in ${res.ms.toFixed(1)} ms, ${res.bytes} B\n`,
    );
    expect(res.status).toBe(400);
    expect(res.bytes).toBeLessThan(4096);
    expect(res.ms).toBeLessThan(100);
  });

  it('keeps /health/live under 50 ms while two attackers send such bodies', async () => {
    let stop = false;
    const attacker = async () => {
      while (!stop) await login();
    };
    const attackers = [attacker(), attacker()];
    const probes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const res = await fetch(`${base}/health/live`);
      await res.text();
      probes.push(performance.now() - started);
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 10));
    }
    stop = true;
    await Promise.all(attackers);
    const worst = Math.max(...probes);
    process.stdout.write(`/health/live under attack: worst ${worst.toFixed(1)} ms\n`);
    expect(worst).toBeLessThan(50);
  });
});
