import { AddressInfo, connect, Socket } from 'node:net';
import { ADMIN_ENV, buildWorld, World } from '../support/actors';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Sockets are a resource too: a refused body must not leave its connection hanging, and a
 * client that sends slowly cannot hold a socket forever (HTTP_REQUEST_TIMEOUT_MS,
 * HTTP_CONNECTION_TIMEOUT_MS). Real sockets: inject() has none.
 */
describe('connections after refused bodies and from slow clients', () => {
  let t: TestApp;
  let world: World;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({
      label: 'connections',
      env: { ...ADMIN_ENV, HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_CONNECTION_TIMEOUT_MS: '1500' },
    });
    world = await buildWorld(t);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Writes `chunks` (with a pause before each after the first), collects until the server closes. */
  function exchange(chunks: Array<string | Buffer>, pauseMs = 0, waitMs = 8_000) {
    return new Promise<{ text: string; closedAfterMs: number | null }>((resolve) => {
      const started = Date.now();
      let text = '';
      const send = async () => {
        for (const [i, chunk] of chunks.entries()) {
          if (i > 0 && pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
          if (socket.destroyed) break;
          socket.write(chunk);
        }
      };
      const socket: Socket = connect(port, '127.0.0.1', () => void send());
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ text, closedAfterMs: null });
      }, waitMs);
      socket.on('data', (d) => (text += d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ text, closedAfterMs: Date.now() - started });
      });
    });
  }

  const boundary = 'cs-conn-boundary';
  const form = (fields: number, files = 0) =>
    Buffer.from(
      [
        ...Array.from(
          { length: fields },
          (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`,
        ),
        ...Array.from(
          { length: files },
          (_, i) =>
            `--${boundary}\r\nContent-Disposition: form-data; name="resume"; filename="r${i}.pdf"\r\n` +
            `Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n`,
        ),
        `--${boundary}--\r\n`,
      ].join(''),
    );
  const post = (body: Buffer, path: string) =>
    Buffer.concat([
      Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
      ),
      body,
    ]);

  it.each([
    ['too many fields', () => form(60)],
    ['too many files', () => form(0, 3)],
  ])('answers 413 for %s and then closes the connection cleanly', async (_name, body) => {
    const path = `/v1/public/entities/${world.entityId}/leads`;
    const res = await exchange([post(body(), path)]);
    expect(res.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(res.text).toMatch(/content-type: application\/problem\+json/i);
    expect(res.text).toMatch(/connection: close/i);
    expect(res.closedAfterMs).not.toBeNull();
    expect(res.closedAfterMs!).toBeLessThan(1_000);
  });

  it('ends a request whose body trickles in slower than HTTP_REQUEST_TIMEOUT_MS', async () => {
    const head =
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const res = await exchange([head, '{"a', '"b', '"c', '"d', '"e'], 700);
    expect(res.closedAfterMs).not.toBeNull();
    expect(res.closedAfterMs!).toBeLessThan(4_000);
    if (res.text) expect(res.text).toMatch(/^HTTP\/1\.1 408 [\s\S]*application\/problem\+json/);
  });

  it('ends a connection whose headers never finish', async () => {
    const res = await exchange(
      ['GET /health/live HTTP/1.1\r\n', 'X-Slow: 1\r\n', 'X-Slow: 2\r\n'],
      700,
    );
    expect(res.closedAfterMs).not.toBeNull();
    expect(res.closedAfterMs!).toBeLessThan(4_000);
  });
});
