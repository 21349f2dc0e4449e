import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { register } from './support/actors';
import { createScratchDatabase } from './support/databases';
import { startTestApp, testTarget } from './support/test-app';

/**
 * API-key uses are counted in memory and written in batches; what was not written yet is
 * written when the app shuts down. The database outlives the app here, so it is read after close.
 */
describe('API key usage at shutdown', () => {
  it('writes the buffered usage_count and last_used_at when the app closes', async () => {
    let url: string;
    let readUsage: (id: string) => Promise<number>;
    let cleanup: () => Promise<void>;
    if (testTarget === 'postgres') {
      const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL!, 'keyusage');
      url = scratch.url;
      readUsage = async (id) => {
        const client = new Client({ connectionString: scratch.url });
        await client.connect();
        try {
          const { rows } = await client.query('SELECT usage_count FROM api_keys WHERE id = $1', [
            id,
          ]);
          return Number(rows[0].usage_count);
        } finally {
          await client.end();
        }
      };
      cleanup = scratch.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'cs-keyusage-'));
      url = `sqlite:${join(dir, 'db.sqlite')}`;
      readUsage = async (id) => {
        const db = new Database(join(dir, 'db.sqlite'), { readonly: true });
        try {
          const row = db.prepare('SELECT usage_count FROM api_keys WHERE id = ?').get(id) as {
            usage_count: number;
          };
          return Number(row.usage_count);
        } finally {
          db.close();
        }
      };
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    try {
      const t = await startTestApp({ env: { DATABASE_URL: url } });
      let id: string;
      try {
        const user = await register(t, 'usage');
        const created = await t.http
          .post('/v1/api-keys')
          .set('Authorization', `Bearer ${user.token}`)
          .send({ name: 'k', scopes: ['tasks:read'] })
          .expect(201);
        id = created.body.id;
        for (let i = 0; i < 4; i++)
          await t.http.get('/v1/auth/me').set('X-API-Key', created.body.key).expect(200);
      } finally {
        await t.close();
      }
      expect(await readUsage(id!)).toBe(4);
    } finally {
      await cleanup();
    }
  });
});
