import { createHash, randomBytes } from 'node:crypto';
import {
  BadRequestException,
  BeforeApplicationShutdown,
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CacheKeys } from '../cache/cache-keys';
import { CacheService } from '../cache/cache.service';
import { Principal } from '../common/auth/access';
import { ApiKeyResolver } from '../common/auth/access-ports';
import { Clock } from '../common/clock/clock';
import { CursorPageQueryDto, decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { PeriodicJobs } from '../common/scheduling/periodic-jobs';
import { AppConfig } from '../config/app-config';
import { UsersService } from '../users/users.service';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyResponse, CreatedApiKeyResponse, toApiKeyResponse } from './dto/api-key.response';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

export const API_KEY_PREFIX = 'ck_live_';
/** Random part: 32 bytes in base62 (43 characters). */
const RANDOM_BYTES = 32;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** How much of the key lists show. */
const SHOWN_PREFIX_LENGTH = 12;
/** Longest string worth hashing: real keys are 51 characters. */
const MAX_KEY_LENGTH = 200;
/** The periodic job that writes buffered last_used_at / usage_count (API_KEY_USAGE_FLUSH_SECONDS). */
export const API_KEY_USAGE_FLUSH_JOB = 'api-key-usage-flush';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function base62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  // 62^43 > 2^256: every key has the same length.
  return out.padStart(43, '0');
}

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${base62(randomBytes(RANDOM_BYTES))}`;
}

/**
 * API keys: create (shown once), list, revoke, and the access guard's ApiKeyResolver.
 *
 * Hot path without a database round trip: the key's credential is cached under
 * `api_key:{sha256}` (dropped on revoke, in every instance: deletes are broadcast), the owner
 * is read through UsersService (`user:{id}`, dropped on every user change), expiry is checked
 * against the Clock on every use, and uses are counted in memory and written as increments
 * every API_KEY_USAGE_FLUSH_SECONDS and at shutdown (usage_count + n, last_used_at = the later), which stays
 * correct with any number of instances.
 */
@Injectable()
export class ApiKeysService
  implements ApiKeyResolver, OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly log = new Logger('ApiKeys');
  private pending = new Map<string, { uses: number; lastUsedAt: Date }>();
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly users: UsersService,
    private readonly cache: CacheService,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
  ) {}

  onModuleInit(): void {
    this.jobs.register({
      name: API_KEY_USAGE_FLUSH_JOB,
      everySeconds: this.config.billing.apiKeyUsageFlushSeconds,
      run: () => this.flushUsage(),
    });
  }

  /**
   * Shutdown writes what is buffered before the database closes: BillingModule is global, so
   * Nest runs its onApplicationShutdown after TypeORM's (which destroys the DataSource); every
   * beforeApplicationShutdown runs before any onApplicationShutdown. Uses by requests still
   * finishing after that are written by onApplicationShutdown when the database is still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flushUsage();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushUsage();
  }

  async create(principal: Principal, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponse> {
    this.refuseApiKey(principal);
    let expiresAt: Date | null = null;
    if (dto.expiresAt !== undefined) {
      expiresAt = new Date(dto.expiresAt);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt <= this.clock.now()) {
        throw new BadRequestException({
          detail: 'expiresAt must be in the future',
          errors: [{ field: 'expiresAt', message: 'must be in the future' }],
        });
      }
    }
    const key = generateApiKey();
    const row = await this.keys.insertKey(principal.userId, {
      name: dto.name,
      prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      keyHash: hashApiKey(key),
      scopes: [...new Set(dto.scopes)],
      expiresAt,
    });
    return { ...toApiKeyResponse(row), key };
  }

  async list(userId: string, query: CursorPageQueryDto): Promise<Page<ApiKeyResponse>> {
    const rows = await this.keys.findPage(userId, query.limit, decodeCursor(query.cursor));
    return toPage(rows, query.limit, toApiKeyResponse);
  }

  /** Revokes the caller's key; another user's key is a 404. The cached credential is dropped everywhere. */
  async revoke(principal: Principal, id: string): Promise<void> {
    this.refuseApiKey(principal);
    const revoked = await this.keys.revoke(principal.userId, id);
    if (!revoked) throw new NotFoundException('API key not found');
    await this.cache.del(CacheKeys.apiKey(revoked.keyHash));
  }

  /** ApiKeyResolver: the key's owner, if the key is known, not revoked, not expired and the owner active. */
  async fromApiKey(key: string): Promise<Principal | null> {
    if (key.length > MAX_KEY_LENGTH || !key.startsWith(API_KEY_PREFIX)) return null;
    const hash = hashApiKey(key);
    const credential = await this.cache.wrap(CacheKeys.apiKey(hash), () =>
      this.keys.findCredential(hash),
    );
    if (!credential || credential.revokedAt) return null;
    const now = this.clock.now();
    if (credential.expiresAt && Date.parse(credential.expiresAt) <= now.getTime()) return null;
    const user = await this.users.findView(credential.userId);
    if (!user || !user.isActive) return null;
    this.countUse(credential.id, now);
    return {
      userId: user.id,
      isAdmin: user.isAdmin,
      via: 'api_key',
      scopes: credential.scopes,
      apiKeyId: credential.id,
    };
  }

  /** Writes the buffered uses (one increment per key); a failed write keeps its counts for the next flush. */
  async flushUsage(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0 || !this.dataSource.isInitialized) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = (async () => {
      for (const [id, use] of batch) {
        try {
          await this.keys.addUsage(id, use.uses, use.lastUsedAt);
        } catch (error) {
          this.countUse(id, use.lastUsedAt, use.uses);
          this.log.warn(`API key usage not written yet: ${(error as Error).message}`);
        }
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private countUse(id: string, at: Date, uses = 1): void {
    const entry = this.pending.get(id);
    if (entry) {
      entry.uses += uses;
      if (at > entry.lastUsedAt) entry.lastUsedAt = at;
    } else {
      this.pending.set(id, { uses, lastUsedAt: at });
    }
  }

  /** Keys cannot mint or revoke keys: a leaked tasks:read key must not become a full-access one. */
  private refuseApiKey(principal: Principal): void {
    if (principal.via === 'api_key') {
      throw new ForbiddenException('API keys are managed with a signed-in session, not an API key');
    }
  }
}
