import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      // class-validator repeats the property name at the start; "property X should not exist" reads better as is.
      message,
    }));
    return own.concat(flatten(error.children ?? [], field));
  });
}

/** Whitelist + reject unknown fields + transform; errors become problem+json `errors[]`. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return new BadRequestException({
        detail: fieldErrors.map((e) => e.message).join('; ') || 'The request is invalid',
        errors: fieldErrors,
      });
    },
  });
}
