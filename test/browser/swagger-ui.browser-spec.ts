import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { pdf } from '../support/documents';
import { call, ensureBuilt, startAppProcess, AppProcess } from '../scale/app-process';

/**
 * Swagger UI as a person uses it, from another host over plain HTTP: headless Chromium opens
 * /docs as http://cornerstone.test:<port> (the browser resolves that name to 127.0.0.1, so the
 * traffic stays on loopback but the page is not "localhost", which browsers treat as secure),
 * authorises with a token and runs "Try it out" on the main routes, asserting the status each
 * one shows. Screenshots go to SWAGGER_UI_SCREENSHOTS (default: a new temp folder; the path is
 * printed), which CI keeps.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST = 'cornerstone.test';
const available = existsSync(CHROMIUM);
if (!available) {
  process.stdout.write(
    `Swagger UI browser test skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium)\n`,
  );
}

(available ? describe : describe.skip)('Swagger UI over plain HTTP from another host', () => {
  let app: AppProcess;
  let work: string;
  let shots: string;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let token: string;
  let shot = 0;

  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'cornerstone-browser-'));
    shots = process.env.SWAGGER_UI_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'swagger-ui-shots-'));
    mkdirSync(shots, { recursive: true });
    process.stdout.write(`Swagger UI screenshots: ${shots}\n`);
    app = await startAppProcess({
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${join(work, 'db.sqlite')}`,
      UPLOAD_DIR: join(work, 'uploads'),
      JWT_SECRET: 'browser-test-secret-browser-test-secret',
      THROTTLE_LIMIT: '100000',
      SEARCH_THROTTLE_LIMIT: '100000',
    });
    base = app.url.replace('127.0.0.1', HOST);
    const registered = await call(app.url, 'POST', '/v1/auth/register', {
      body: { email: 'browser@example.com', password: 'Correct-Horse-9-Battery' },
    });
    expect(registered.status).toBe(201);
    token = registered.body.accessToken;

    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    await app?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The operation's block (request and live response), else the visible page. */
  const snap = async (name: string, block?: Locator) => {
    shot += 1;
    const path = join(shots, `${String(shot).padStart(2, '0')}-${name}.png`);
    await (block ? block.screenshot({ path }) : page.screenshot({ path }));
  };

  /** Expands the operation, presses "Try it out" and returns its block. */
  async function tryOut(tag: string, operationId: string): Promise<Locator> {
    const block = page.locator(`#operations-${tag}-${operationId}`);
    if (!(await block.locator('.opblock-body').isVisible())) {
      await block.locator('.opblock-summary-control').click();
    }
    const tryButton = block.locator('button.try-out__btn', { hasText: 'Try it out' });
    if (await tryButton.count()) await tryButton.click();
    return block;
  }

  /** Presses Execute and answers the status and body the UI shows for the live response. */
  async function execute(block: Locator): Promise<{ status: number; body: string }> {
    const previous = await block.locator('.live-responses-table').count();
    await block.locator('button.execute').click();
    const status = block.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    if (previous) await page.waitForTimeout(300);
    const body = block.locator('.live-responses-table .response-col_description pre').first();
    return {
      status: Number.parseInt((await status.innerText()).trim(), 10),
      body: (await body.count()) ? await body.innerText() : '',
    };
  }

  const param = (block: Locator, name: string) =>
    block.locator(`tr[data-param-name="${name}"] input`).first();

  let entityId: string;
  let leadId: string;

  it('loads the UI over http from a host that is not localhost', async () => {
    const response = await page.goto(`${base}/docs`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    expect(page.url()).toMatch(new RegExp(`^http://${HOST}:\\d+/docs`));
    expect(response?.headers()['content-security-policy']).not.toContain(
      'upgrade-insecure-requests',
    );
    await page.locator('#operations-auth-AuthController_me').waitFor({ timeout: 30_000 });
    await expect(page.locator('.swagger-ui .info .title').innerText()).resolves.toContain(
      'Cornerstone API',
    );
    await snap('loaded');
  });

  it('authorises with a bearer token', async () => {
    await page.locator('.scheme-container button.authorize').click();
    const bearer = page.locator('.auth-container').filter({ hasText: 'bearer' }).first();
    await bearer.locator('input').first().fill(token);
    await bearer.locator('button.authorize').click();
    await snap('authorised');
    await page.locator('.modal-ux button.btn-done, .modal-ux .close-modal').first().click();
  });

  it('shows 200 for GET /v1/auth/me', async () => {
    const block = await tryOut('auth', 'AuthController_me');
    const res = await execute(block);
    await snap('me', block);
    expect(res.status).toBe(200);
    expect(res.body).toContain('browser@example.com');
  });

  it('shows 201 for creating an entity', async () => {
    const block = await tryOut('entities', 'EntitiesController_create');
    await block.locator('textarea.body-param__text').fill(JSON.stringify({ name: 'Browser Co' }));
    const res = await execute(block);
    await snap('create-entity', block);
    expect(res.status).toBe(201);
    entityId = JSON.parse(res.body).id;
    expect(entityId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('shows 201 for creating a lead from JSON', async () => {
    const block = await tryOut('leads', 'LeadsController_create');
    await param(block, 'entityId').fill(entityId);
    await block
      .locator('textarea.body-param__text')
      .fill(JSON.stringify({ firstName: 'Json', lastName: 'Lead', email: 'json@example.com' }));
    const res = await execute(block);
    await snap('create-lead-json', block);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ email: 'json@example.com', resume: null });
  });

  it('shows 201 for creating a lead from multipart/form-data with a PDF resume', async () => {
    const block = await tryOut('leads', 'LeadsController_create');
    await param(block, 'entityId').fill(entityId);
    await block
      .locator('.opblock-section-request-body select')
      .first()
      .selectOption('multipart/form-data');
    const form = block.locator('.opblock-section-request-body');
    await form.locator('tr[data-property-name="firstName"] input').fill('Pdf');
    await form.locator('tr[data-property-name="lastName"] input').fill('Lead');
    await form.locator('tr[data-property-name="email"] input').fill('pdf@example.com');
    await form.locator('tr[data-property-name="resume"] input[type="file"]').setInputFiles({
      name: 'resume.pdf',
      mimeType: 'application/pdf',
      buffer: pdf(),
    });
    const res = await execute(block);
    await snap('create-lead-multipart', block);
    expect(res.status).toBe(201);
    const lead = JSON.parse(res.body);
    expect(lead).toMatchObject({ email: 'pdf@example.com', resume: { fileName: 'resume.pdf' } });
    leadId = lead.id;
  });

  it('shows 200 for listing leads', async () => {
    const block = await tryOut('leads', 'LeadsController_list');
    await param(block, 'entityId').fill(entityId);
    const res = await execute(block);
    await snap('list-leads', block);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).items).toHaveLength(2);
  });

  it('shows 200 and a download for the resume', async () => {
    const block = await tryOut('leads', 'LeadsController_resume');
    await param(block, 'entityId').fill(entityId);
    await param(block, 'leadId').fill(leadId);
    const res = await execute(block);
    await snap('download-resume', block);
    expect(res.status).toBe(200);
    await expect(
      block.locator('.live-responses-table a[download]').first().getAttribute('download'),
    ).resolves.toBeTruthy();
  });
});
