import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UsersService } from './users.service';

/** ADMIN_EMAIL + ADMIN_PASSWORD at start: create that platform admin unless the email already exists. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly log = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { adminEmail, adminPassword } = this.config.auth;
    if (!adminEmail || !adminPassword) return;
    if (await this.users.ensureAdmin(adminEmail.trim().toLowerCase(), adminPassword)) {
      this.log.log(`Created platform admin ${adminEmail}`);
    }
  }
}
