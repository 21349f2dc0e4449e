import { TransformationType } from 'class-transformer';
import { defaultOptions } from 'class-transformer/cjs/constants/default-options.constant';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationArguments } from 'class-validator';

/**
 * The accepting half of the validation pipe for flat DTOs, compiled once per class from the
 * class-validator and class-transformer metadata the DTO already declares (issue 20: validation
 * was ~8% of a lead create's CPU). The DTO stays the single source of the rules: nothing here
 * states a rule of its own, it only calls the DTO's transforms and constraint validators in the
 * order plainToInstance + validate would.
 *
 * It answers only "valid, here is the instance" or "not sure": a value with an unknown key, a
 * non-primitive value, or any failed rule gets `undefined`, and the pipe then runs the full
 * class-transformer + class-validator path, which also writes the error messages. So a request
 * the fast path accepts is one the full path accepts with the same instance (the differential
 * test in compiled-validation.spec.ts holds every DTO of the app to that), and every refusal keeps
 * class-validator's wording. A class using anything outside the flat subset (nested or
 * promise validation, async constraints, @Type, @Expose/@Exclude, transform strategies) is
 * not compiled at all.
 */
export type CompiledValidator = (value: object) => object | undefined;

interface PropertyPlan {
  name: string;
  transforms: ((params: TransformParams) => unknown)[];
  conditions: ((object: object, value: unknown) => boolean)[];
  checks: Check[];
}

interface Check {
  validateIf?: (object: object, value: unknown) => boolean;
  validate: (value: unknown, args: ValidationArguments) => unknown;
  constraints: unknown[];
}

interface TransformParams {
  value: unknown;
  key: string;
  obj: object;
  type: TransformationType;
  options: object;
}

/** The options plainToInstance runs with under the app's pipe ({ enableImplicitConversion: false }). */
const TRANSFORM_OPTIONS = { ...defaultOptions, enableImplicitConversion: false };
const FLAT_TYPES = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
  ValidationTypes.IS_DEFINED,
]);

const compiled = new WeakMap<object, CompiledValidator | null>();

/** The compiled validator of a DTO class, or null when the class is outside the flat subset. */
export function compiledValidator(metatype: new () => object): CompiledValidator | null {
  let validator = compiled.get(metatype);
  if (validator === undefined) {
    validator = compile(metatype);
    compiled.set(metatype, validator);
  }
  return validator;
}

function compile(metatype: new () => object): CompiledValidator | null {
  const storage = getMetadataStorage();
  // The same query class-validator's executor makes for the pipe's options (no groups).
  const metadatas = storage.getTargetValidationMetadatas(
    metatype,
    undefined as unknown as string,
    false,
    false,
    undefined,
  );
  if (metadatas.length === 0) return null; // forbidUnknownValues: the full path refuses it
  if (
    defaultMetadataStorage.getStrategy(metatype) !== 'none' ||
    defaultMetadataStorage.getExposedMetadatas(metatype).length > 0 ||
    defaultMetadataStorage.getExcludedMetadatas(metatype).length > 0
  )
    return null;

  const plans: PropertyPlan[] = [];
  for (const [name, own] of Object.entries(storage.groupByPropertyName(metadatas))) {
    if (own.length === 0) continue;
    if (own.some((m) => !FLAT_TYPES.has(m.type))) return null;
    if (defaultMetadataStorage.findTypeMetadata(metatype, name)) return null;
    // plainToInstance skips a key the prototype defines (an accessor or a method).
    if (name in metatype.prototype) return null;
    const plan: PropertyPlan = {
      name,
      transforms: defaultMetadataStorage
        .findTransformMetadatas(metatype, name, TransformationType.PLAIN_TO_CLASS)
        .filter((t) => !t.options?.groups?.length)
        .map((t) => t.transformFn as PropertyPlan['transforms'][number]),
      conditions: own
        .filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION)
        .map((m) => m.constraints[0] as PropertyPlan['conditions'][number]),
      checks: [],
    };
    // class-validator runs the IS_DEFINED rules first, then the custom ones; all must pass.
    const ordered = [
      ...own.filter((m) => m.type === ValidationTypes.IS_DEFINED),
      ...own.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION),
    ];
    for (const m of ordered) {
      for (const constraint of storage.getTargetValidatorConstraints(m.constraintCls)) {
        if (constraint.async) return null;
        const instance = constraint.instance;
        plan.checks.push({
          validateIf: m.validateIf,
          validate: (value, args) => instance.validate(value, args),
          constraints: m.constraints,
        });
      }
    }
    plans.push(plan);
  }
  const byName = new Map(plans.map((p) => [p.name, p]));
  return (value) => run(metatype, byName, plans, value);
}

function run(
  metatype: new () => object,
  byName: Map<string, PropertyPlan>,
  plans: PropertyPlan[],
  value: object,
): object | undefined {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  const source = value as Record<string, unknown>;
  const instance = new metatype() as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const plan = byName.get(key);
    if (!plan) return undefined; // not whitelisted (or __proto__/constructor): the full path decides
    let v = source[key];
    if (v !== null && typeof v === 'object') return undefined;
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return undefined;
    for (const transformFn of plan.transforms) {
      v = transformFn({
        value: v,
        key,
        obj: source,
        type: TransformationType.PLAIN_TO_CLASS,
        options: TRANSFORM_OPTIONS,
      });
    }
    if (v !== null && typeof v === 'object') return undefined;
    instance[key] = v;
  }
  // Keys the constructor set (class field defaults) are whitelisted only when they are DTO fields.
  for (const key of Object.keys(instance)) if (!byName.has(key)) return undefined;
  const targetName = metatype.name;
  for (const plan of plans) {
    const v = instance[plan.name];
    let admitted = true;
    for (const condition of plan.conditions) admitted = condition(instance, v) && admitted;
    if (!admitted) continue;
    for (const check of plan.checks) {
      if (check.validateIf && !check.validateIf(instance, v)) continue;
      const ok = check.validate(v, {
        targetName,
        property: plan.name,
        object: instance,
        value: v,
        constraints: check.constraints,
      });
      if (ok !== true) return undefined; // false, a promise, or anything else: not sure
    }
  }
  return instance;
}
