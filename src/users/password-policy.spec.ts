import { validOptions } from '../cli/command-options';
import { CreateAdminDto } from './dto/create-admin.dto';
import { isStrongPassword } from './password-policy';

describe('password policy (zxcvbn, common dictionary)', () => {
  it.each(['1111111111', 'password12', 'qwertyuiop', 'iloveyou123', 'P@ssw0rd123', 'Summer2024!'])(
    'refuses %s',
    (password) => expect(isStrongPassword(password)).toBe(false),
  );

  it.each(['correct horse battery', 'a-long-unique-passphrase-9', 'Tr0ub4dor&3x'])(
    'accepts %s',
    (password) => expect(isStrongPassword(password)).toBe(true),
  );

  it('refuses a password made of the user own words, accepts it for someone else', () => {
    expect(isStrongPassword('margarethalindqvist', ['margaretha.lindqvist@example.test'])).toBe(
      false,
    );
    expect(isStrongPassword('margarethalindqvist', ['someone@example.test'])).toBe(true);
  });

  it('applies to create-admin: the CLI refuses a weak password in one line', () => {
    expect(() =>
      validOptions(
        CreateAdminDto,
        { email: 'root@example.test', password: 'admin12345' },
        'create-admin',
      ),
    ).toThrow(/^create-admin: password is too easy to guess/);
    expect(
      validOptions(
        CreateAdminDto,
        { email: 'root@example.test', password: 'Admin-Password-123' },
        'create-admin',
      ).password,
    ).toBe('Admin-Password-123');
  });
});
