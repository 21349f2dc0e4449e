import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { BillingService } from '../billing/billing.service';
import { Principal } from '../common/auth/access';
import { AccessTokenResolver } from '../common/auth/access-ports';
import { Clock } from '../common/clock/clock';
import { EntitiesService } from '../entities/entities.service';
import { UsersService } from '../users/users.service';
import { UserResponse } from '../users/dto/user.response';
import { AuthTokenResponse, MeResponse } from './dto/auth.response';
import { LoginDto } from './dto/login.dto';
import { LoginBackoff } from './login-backoff';
import { RegisterDto } from './dto/register.dto';
import { isUuid } from '../common/uuid';

const BAD_CREDENTIALS = 'Invalid login or password';

/** Verified tokens remembered per process (a few MB at most). */
const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Registration, login and the JWT side of the access guard. Tokens are HS256 with `sub`,
 * `iat` and `exp` taken from the injected Clock; verification accepts HS256 only.
 */
@Injectable()
export class AuthService implements AccessTokenResolver {
  /**
   * Token → subject and expiry, for tokens whose signature was already checked: verifying
   * (base64, JSON, HMAC) was ~13% of the CPU of an authenticated request. Keyed by the whole
   * token, so only the exact bytes verified are trusted; expiry is still checked on every use,
   * and the user's state (active or not) is looked up every time as before. Oldest out.
   */
  private readonly verified = new Map<string, { sub: unknown; exp: number }>();

  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    private readonly entities: EntitiesService,
    private readonly clock: Clock,
    private readonly billing: BillingService,
    private readonly backoff: LoginBackoff,
  ) {}

  /**
   * A new user starts on the free plan (billing also creates it on first use for users made
   * elsewhere). "Already registered" (409) is needed, but it tells whether an email has an
   * account, so each one counts against the client's address like a failed login.
   */
  register(dto: RegisterDto, ip: string): Promise<AuthTokenResponse> {
    return this.backoff.guard(
      { ip },
      async () => {
        const user = await this.users.create(dto);
        await this.billing.ensureSubscription(user.id);
        return this.issue(user);
      },
      (error) => error instanceof ConflictException,
    );
  }

  /**
   * Unknown login, wrong password and inactive user all answer the same 401 after the same
   * scrypt work, and count alike towards the account's and the client's back-off (429).
   */
  login(dto: LoginDto, ip: string): Promise<AuthTokenResponse> {
    return this.backoff.guard(
      { login: dto.login, ip },
      async () => {
        const user = await this.users.verifyCredentials(dto.login, dto.password);
        if (!user || !user.isActive) throw new UnauthorizedException(BAD_CREDENTIALS);
        await this.users.recordLogin(user.id);
        return this.issue((await this.users.findView(user.id)) ?? user);
      },
      (error) => error instanceof UnauthorizedException,
    );
  }

  async me(principal: Principal): Promise<MeResponse> {
    const [user, memberships] = await Promise.all([
      this.users.findView(principal.userId),
      this.entities.membershipsOf(principal.userId),
    ]);
    if (!user) throw new UnauthorizedException('Invalid or expired credentials');
    return { ...user, memberships };
  }

  async fromAccessToken(token: string): Promise<Principal | null> {
    const sub = await this.verifiedSubject(token);
    if (typeof sub !== 'string' || !isUuid(sub)) return null;
    const user = await this.users.findView(sub.toLowerCase());
    if (!user || !user.isActive) return null;
    return { userId: user.id, isAdmin: user.isAdmin, via: 'jwt' };
  }

  private async issue(user: UserResponse): Promise<AuthTokenResponse> {
    const iat = this.nowSeconds();
    const accessToken = await this.jwt.signAsync({ sub: user.id, iat }, { algorithm: 'HS256' });
    const { exp } = this.jwt.decode<{ exp: number }>(accessToken);
    return { user, accessToken, expiresIn: exp - iat };
  }

  /** The token's `sub` if its signature and expiry hold now; undefined otherwise. */
  private async verifiedSubject(token: string): Promise<unknown> {
    const now = this.nowSeconds();
    const known = this.verified.get(token);
    if (known) {
      if (now < known.exp) return known.sub;
      this.verified.delete(token);
      return undefined;
    }
    let payload: { sub?: unknown; exp?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: ['HS256'], clockTimestamp: now });
    } catch {
      return undefined;
    }
    // A token without an expiry would be valid forever: only tokens with `exp` are accepted.
    if (typeof payload.exp !== 'number') return undefined;
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, { sub: payload.sub, exp: payload.exp });
    return payload.sub;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
