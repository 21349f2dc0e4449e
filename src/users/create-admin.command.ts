import { Command, CommandRunner, Option } from 'nest-commander';
import { validOptions } from '../cli/command-options';
import { CreateAdminDto } from './dto/create-admin.dto';
import { UsersService } from './users.service';

/** `create-admin --email … --password …`: creates a platform admin or promotes an existing user. Idempotent. */
@Command({
  name: 'create-admin',
  description: 'Create a platform admin, or promote an existing user (idempotent)',
})
export class CreateAdminCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run(_: string[], options: { email?: string; password?: string }): Promise<void> {
    const dto = validOptions(
      CreateAdminDto,
      { email: options.email, password: options.password },
      'create-admin',
    );
    const { user, created } = await this.users.createOrPromoteAdmin(dto.email, dto.password);
    process.stdout.write(
      created
        ? `Created admin ${user.email} (${user.id})\n`
        : `Admin ${user.email} (${user.id}) already existed: made admin, active, password set\n`,
    );
  }

  @Option({ flags: '--email <email>', description: 'the admin email', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({
    flags: '--password <password>',
    description: '10–128 characters, not easy to guess',
    required: true,
  })
  parsePassword(value: string): string {
    return value;
  }
}
