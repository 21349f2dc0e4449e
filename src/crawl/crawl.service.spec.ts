import { ConflictException, ForbiddenException, PayloadTooLargeException } from '@nestjs/common';
import { CacheService } from '../cache/cache.service';
import { TenantContext } from '../common/auth/access';
import { FixedClock } from '../common/clock/clock';
import { loadConfig } from '../config';
import { CrawlChanges, CrawlRow, CrawlStatus } from './crawl-row';
import { CrawlRepository } from './crawl.repository';
import { CRAWL_TRANSITIONS, CrawlService } from './crawl.service';

const ENTITY = '11111111-1111-4111-8111-111111111111';
const CRAWL = '22222222-2222-4222-8222-222222222222';
const CREATOR = '33333333-3333-4333-8333-333333333333';
const OTHER = '44444444-4444-4444-8444-444444444444';

/** One document in memory, with what the rules use; counts writes and reads. */
class StubCrawls {
  row: CrawlRow;
  reads = 0;
  /** Simulates another request changing the status between our read and our write. */
  interfere: (() => void) | null = null;

  constructor(status: CrawlStatus) {
    const t = new Date('2026-01-01T00:00:00.000Z');
    this.row = {
      id: CRAWL,
      entityId: ENTITY,
      websiteUrl: 'https://example.com/',
      domain: 'example.com',
      companyName: null,
      pageTitle: null,
      metaDescription: null,
      crawlStatus: status,
      errorMessage: null,
      seoScore: null,
      createdBy: CREATOR,
      crawledAt: null,
      version: 1,
      createdAt: t,
      updatedAt: t,
      companyInfo: null,
      generatedQuestions: null,
      testResults: [],
    };
  }
  async findById(entityId: string, id: string) {
    this.reads++;
    return entityId === ENTITY && id === CRAWL ? { ...this.row } : null;
  }
  async updateCrawl(
    entityId: string,
    id: string,
    changes: CrawlChanges,
    whileStatus?: CrawlStatus,
  ) {
    if (this.interfere) {
      this.interfere();
      this.interfere = null;
    }
    if (entityId !== ENTITY || id !== CRAWL) return false;
    if (whileStatus && this.row.crawlStatus !== whileStatus) return false;
    this.row = { ...this.row, ...changes };
    return true;
  }
}

const tenant = (userId: string, role: TenantContext['role'] = 'member'): TenantContext => ({
  entityId: ENTITY,
  userId,
  role,
});

function setUp(status: CrawlStatus) {
  const stub = new StubCrawls(status);
  const clock = new FixedClock(new Date('2026-02-01T10:00:00.000Z'));
  const cache = new CacheService(loadConfig());
  const service = new CrawlService(stub as unknown as CrawlRepository, cache, clock);
  return { stub, clock, service, cache };
}

describe('CrawlService: status transitions', () => {
  const allowed: Array<[CrawlStatus, CrawlStatus]> = [
    ['pending', 'in_progress'],
    ['in_progress', 'completed'],
    ['in_progress', 'failed'],
    ['completed', 'pending'],
    ['failed', 'pending'],
  ];
  it.each(allowed)('moves %s → %s', async (from, to) => {
    const { stub, service } = setUp(from);
    const res = await service.update(tenant(CREATOR), CRAWL, { crawlStatus: to });
    expect(res.crawlStatus).toBe(to);
    expect(stub.row.crawlStatus).toBe(to);
  });

  const statuses = Object.keys(CRAWL_TRANSITIONS) as CrawlStatus[];
  const refused = statuses.flatMap((from) =>
    statuses
      .filter((to) => to !== from && !allowed.some(([f, t]) => f === from && t === to))
      .map((to) => [from, to] as [CrawlStatus, CrawlStatus]),
  );
  it.each(refused)('refuses %s → %s with 409 naming the current status', async (from, to) => {
    const { stub, service } = setUp(from);
    const error = await service.update(tenant(CREATOR), CRAWL, { crawlStatus: to }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictException);
    const body = (error as ConflictException).getResponse() as { detail: string };
    expect(body.detail).toContain(`the current status is ${from}`);
    expect(stub.row.crawlStatus).toBe(from);
  });

  it('sets crawledAt from the clock when the crawl completes, and keeps it on a re-queue', async () => {
    const { stub, service, clock } = setUp('in_progress');
    const done = await service.update(tenant(CREATOR), CRAWL, { crawlStatus: 'completed' });
    expect(done.crawledAt).toBe(clock.now().toISOString());
    clock.advance(60_000);
    const requeued = await service.update(tenant(CREATOR), CRAWL, { crawlStatus: 'pending' });
    expect(requeued.crawledAt).toBe('2026-02-01T10:00:00.000Z');
    expect(stub.row.crawlStatus).toBe('pending');
  });

  it('treats the same status again as no status change (fields still apply)', async () => {
    const { stub, service } = setUp('completed');
    const res = await service.update(tenant(CREATOR), CRAWL, {
      crawlStatus: 'completed',
      seoScore: 0.7,
    });
    expect(res).toMatchObject({ crawlStatus: 'completed', seoScore: 0.7 });
    expect(stub.row.crawledAt).toBeNull();
  });

  it('judges a transition that lost a race against the status that won', async () => {
    const { stub, service } = setUp('in_progress');
    // Another request fails the crawl between our read and our write: completed is no longer allowed.
    stub.interfere = () => (stub.row = { ...stub.row, crawlStatus: 'failed' });
    const error = await service
      .update(tenant(CREATOR), CRAWL, { crawlStatus: 'completed' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect(stub.row.crawlStatus).toBe('failed');
  });
});

describe('CrawlService: who may edit', () => {
  it('lets the creator (a member) and admins or owners edit; refuses other members with 403', async () => {
    const { service } = setUp('pending');
    await expect(service.update(tenant(CREATOR), CRAWL, { pageTitle: 'a' })).resolves.toBeTruthy();
    await expect(
      service.update(tenant(OTHER, 'admin'), CRAWL, { pageTitle: 'b' }),
    ).resolves.toBeTruthy();
    await expect(
      service.update(tenant(OTHER, 'owner'), CRAWL, { pageTitle: 'c' }),
    ).resolves.toBeTruthy();
    await expect(service.update(tenant(OTHER), CRAWL, { pageTitle: 'd' })).rejects.toBeInstanceOf(
      ForbiddenException,
    );
    await expect(service.remove(tenant(OTHER), CRAWL)).rejects.toBeInstanceOf(ForbiddenException);
  });
});

describe('CrawlService: limits and cache', () => {
  it('answers 413 for a companyInfo over 256 KB before reading anything', async () => {
    const { stub, service } = setUp('pending');
    const error = await service
      .update(tenant(CREATOR), CRAWL, { companyInfo: { blob: 'x'.repeat(256 * 1024) } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect(stub.reads).toBe(0);
  });

  it('serves a read from the cache until a write drops it', async () => {
    const { stub, service } = setUp('pending');
    await service.findOne(ENTITY, CRAWL);
    await service.findOne(ENTITY, CRAWL);
    expect(stub.reads).toBe(1);
    await service.update(tenant(CREATOR), CRAWL, { pageTitle: 'Fresh' });
    const readsAfterWrite = stub.reads;
    expect((await service.findOne(ENTITY, CRAWL)).pageTitle).toBe('Fresh');
    expect(stub.reads).toBe(readsAfterWrite + 1);
  });

  it('does not cache a read that overlapped a write', async () => {
    const { stub, service } = setUp('pending');
    const original = stub.findById.bind(stub);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let readStarted!: () => void;
    const started = new Promise<void>((r) => (readStarted = r));
    let first = true;
    stub.findById = async (e: string, i: string) => {
      const row = await original(e, i);
      if (first) {
        first = false;
        readStarted();
        await gate; // the write below lands while this (stale) read is in flight
      }
      return row;
    };
    const slowRead = service.findOne(ENTITY, CRAWL);
    await started;
    await service.update(tenant(CREATOR), CRAWL, { pageTitle: 'New' });
    release();
    expect((await slowRead).pageTitle).toBeNull();
    expect((await service.findOne(ENTITY, CRAWL)).pageTitle).toBe('New');
  });
});
