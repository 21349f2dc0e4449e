import {
  ArgumentMetadata,
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { compiledValidator } from '../validation/compiled-validation';
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

/**
 * A route that takes a DTO body needs a JSON object. Without this, a body that no parser
 * turned into an object (multipart sent to a JSON route, JSON `null`, no body at all)
 * reached the DTO as `{}`, and a PATCH whose fields are all optional answered 200.
 */
class BodyRequiredValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata) {
    const dto =
      metadata.type === 'body' &&
      typeof metadata.metatype === 'function' &&
      ![Object, String, Number, Boolean, Array].includes(metadata.metatype as never);
    if (
      dto &&
      (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw new BadRequestException({
        detail: 'The request body must be a JSON object (Content-Type: application/json)',
        errors: [{ field: 'body', message: 'must be a JSON object' }],
      });
    }
    // Flat DTOs with plain values: the compiled accepting path; anything it is not sure of (and
    // every refusal, with its messages) goes through class-transformer + class-validator.
    if (
      (metadata.type === 'body' || metadata.type === 'query') &&
      value !== null &&
      typeof value === 'object' &&
      this.toValidate(metadata)
    ) {
      const instance = compiledValidator(metadata.metatype as new () => object)?.(value);
      if (instance) return instance;
    }
    return super.transform(value, metadata);
  }
}

/** Whitelist + reject unknown fields + transform; errors become problem+json `errors[]`. */
export function createValidationPipe(): ValidationPipe {
  return new BodyRequiredValidationPipe({
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
        // The first few messages; the ProblemFilter bounds `errors[]` and `detail` in any case.
        detail:
          fieldErrors
            .slice(0, 5)
            .map((e) => e.message)
            .join('; ')
            .concat(fieldErrors.length > 5 ? ` (and ${fieldErrors.length - 5} more)` : '') ||
          'The request is invalid',
        errors: fieldErrors,
      });
    },
  });
}

const dtoValidation = createValidationPipe();

/**
 * Validates a body that did not come through a route's @Body() (multipart text fields, or a
 * route that takes JSON and multipart): the same rules and errors as the global pipe.
 */
export function validateDto<T>(metatype: new () => T, value: unknown): Promise<T> {
  return dtoValidation.transform(value, { type: 'body', metatype }) as Promise<T>;
}
