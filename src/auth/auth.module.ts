import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AccessTokenResolver } from '../common/auth/access-ports';
import { AppConfig } from '../config/app-config';
import { EntitiesModule } from '../entities/entities.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginBackoff } from './login-backoff';
import { SessionPurge } from './session-purge';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { UserSessions } from '../users/user-sessions';

/**
 * Register, login, sessions (refresh, logout, list, revoke), me; provides UserSessions to the
 * users module (password change, deactivation) and the access guard's AccessTokenResolver
 * app-wide (API keys: BillingModule).
 */
@Global()
@Module({
  imports: [
    UsersModule,
    EntitiesModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: jsonwebtoken first tries a string as a PEM public key and
        // throws, which made every verification cost ~0.5 ms instead of ~10 µs.
        secret: createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8')) as unknown as string,
        // A number: seconds (jsonwebtoken would read a digits-only string as milliseconds).
        signOptions: { algorithm: 'HS256', expiresIn: config.auth.accessTokenTtlSeconds },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    LoginBackoff,
    SessionsRepository,
    SessionsService,
    SessionPurge,
    { provide: AccessTokenResolver, useExisting: AuthService },
    { provide: UserSessions, useExisting: SessionsService },
  ],
  exports: [AuthService, AccessTokenResolver, UserSessions],
})
export class AuthModule {}
