/**
 * JWT_SECRET values that have appeared as examples in this repository (.env.example,
 * docker-compose.yml, README). A deployment that copied one signs tokens anyone can forge, so
 * production refuses them; `secrets.spec.ts` reads those files and fails when an example there
 * is missing from this list.
 */
export const EXAMPLE_JWT_SECRETS: readonly string[] = [
  // docker-compose.yml's default until compose required the variable.
  'change-me-change-me-change-me-change-me',
];

export const MIN_SECRET_BYTES = 32;

/** Why a production signing secret is unsafe, or null when it will do. */
export function weakSecretReason(secret: string): string | null {
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES)
    return `is shorter than ${MIN_SECRET_BYTES} bytes`;
  if (/^(.)\1*$/su.test(secret)) return 'is one character repeated';
  if (EXAMPLE_JWT_SECRETS.includes(secret.trim()))
    return 'is an example value published in this repository';
  return null;
}
