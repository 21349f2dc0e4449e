import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * A command's options as the DTO the HTTP route validates with, so the CLI and the API refuse
 * the same input. Throws one line (`<prefix>: message; message`): nest-commander prints it and
 * exits 1.
 */
export function validOptions<T extends object>(
  dto: ClassConstructor<T>,
  plain: Record<string, unknown>,
  prefix: string,
): T {
  const value = plainToInstance(dto, plain);
  const messages = validateSync(value).flatMap((e) => Object.values(e.constraints ?? {}));
  if (messages.length > 0) throw new Error(`${prefix}: ${messages.join('; ')}`);
  return value;
}
