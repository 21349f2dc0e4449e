import { ValidateBy } from 'class-validator';
import { CRAWL_LIMITS } from './crawl-row';

/**
 * Free-form objects (company_info, generated_questions) are stored as documents in MongoDB,
 * where a key starting with `$` reads as an operator and a key containing `.` as a path.
 * Such keys are refused at any depth (inside arrays too) before any store sees the object, on
 * every adapter alike; Mongoose's strict schema and sanitizeFilter are the second line.
 */
export type UnsafeDocument =
  | { kind: 'operator-key'; path: string }
  | { kind: 'too-deep'; path: string }
  | { kind: 'not-an-object'; path: string };

export function findUnsafeKey(
  value: unknown,
  maxDepth: number = CRAWL_LIMITS.objectDepth,
): UnsafeDocument | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'not-an-object', path: '' };
  const stack: Array<{ node: unknown; path: string; depth: number }> = [
    { node: value, path: '', depth: 1 },
  ];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return { kind: 'too-deep', path };
    if (Array.isArray(node)) {
      node.forEach((item, i) =>
        stack.push({ node: item, path: `${path}[${i}]`, depth: depth + 1 }),
      );
      continue;
    }
    for (const [key, inner] of Object.entries(node as Record<string, unknown>)) {
      const here = path ? `${path}.${key}` : key;
      if (key.startsWith('$') || key.includes('.')) return { kind: 'operator-key', path: here };
      stack.push({ node: inner, path: here, depth: depth + 1 });
    }
  }
  return null;
}

/** Size of the value as stored: its JSON text in UTF-8 bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * class-validator: a plain JSON object without `$…` or dotted keys at any depth, nested at
 * most 16 deep (the message names the offending path). Size is the service's (413).
 */
export const IsSafeDocument = () =>
  ValidateBy({
    name: 'isSafeDocument',
    validator: {
      validate: (value: unknown) => findUnsafeKey(value) === null,
      defaultMessage: (args) => {
        const problem = findUnsafeKey(args?.value);
        const property = args?.property ?? 'value';
        if (!problem || problem.kind === 'not-an-object')
          return `${property} must be a JSON object`;
        if (problem.kind === 'too-deep')
          return `${property} must not be nested deeper than ${CRAWL_LIMITS.objectDepth} levels (at ${problem.path})`;
        return `${property} must not contain keys that start with $ or contain a dot (found ${property}.${problem.path})`;
      },
    },
  });
