import { Global, Module } from '@nestjs/common';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { IdentityCache } from './identity-cache';
import { PasswordHasher } from './password-hasher';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** Users and credentials; UsersService is global (auth, entities, CLI commands and admin features use it). */
@Global()
@Module({
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, PasswordHasher, AdminBootstrapService, IdentityCache],
  exports: [UsersService, IdentityCache],
})
export class UsersModule {}
