import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { registerDecorator, ValidationArguments } from 'class-validator';

/**
 * zxcvbn's score 3 ("safely unguessable": about 10^8 guesses or more). `1111111111`,
 * `password12`, `qwertyuiop`, `P@ssw0rd123` score 0–1; `Summer2024!` scores 2.
 */
export const MIN_PASSWORD_SCORE = 3;

/** Fields of the same DTO a password must not be built from (zxcvbn's user inputs). */
const PERSONAL_FIELDS = ['email', 'username', 'firstName', 'lastName'] as const;

/**
 * Built on first use: the common-passwords and keyboard dictionaries cost ~70 ms and ~40 MB
 * (the English word lists would add ~300 ms and ~70 MB for little: the common list is what
 * attackers try first), so a process that never sets a password never pays for them.
 */
let checker: ZxcvbnFactory | null = null;

const WEAK_PASSWORD =
  'password is too easy to guess (a common password, a pattern, or built from your name or email); use a longer passphrase';

/** True when zxcvbn scores `password` at least MIN_PASSWORD_SCORE, given the user's own words. */
export function isStrongPassword(password: string, personal: string[] = []): boolean {
  checker ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  const inputs = personal.flatMap((value) => [value, ...value.split(/[@._+-]/)]).filter(Boolean);
  return checker.check(password, inputs).score >= MIN_PASSWORD_SCORE;
}

/**
 * Refuses passwords zxcvbn guesses easily, taking the DTO's email, username and names as
 * personal inputs. Leaves other lengths to @Length (zxcvbn's cost grows with length, and
 * nothing over 128 characters is ever scored).
 */
export function StrongPassword(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'strongPassword',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: WEAK_PASSWORD },
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          if (typeof value !== 'string' || value.length < 10 || value.length > 128) return true;
          const object = args.object as Record<string, unknown>;
          const personal = PERSONAL_FIELDS.map((f) => object[f]).filter(
            (v): v is string => typeof v === 'string',
          );
          return isStrongPassword(value, personal);
        },
      },
    });
}
