import type {} from '@fastify/multipart';
import { createHash } from 'node:crypto';
import { FastifyRequest } from 'fastify';

/**
 * What a multipart body is, for an idempotency fingerprint: its text fields (sorted by name)
 * and each file's field, name and SHA-256. Not the raw bytes: a client that retries picks a
 * new random boundary, and the same form must match. The body is streamed into storage by
 * readMultipartForm, never buffered, so the digest is taken there (recordBodyDigest) and,
 * for a replay, by reading the parts here (readMultipartDigest).
 */
export interface MultipartFile {
  field: string;
  filename: string;
  sha256: string;
}

export function multipartDigest(fields: Record<string, string>, files: MultipartFile[]): string {
  const sorted = Object.keys(fields)
    .sort()
    .map((name) => [name, fields[name]]);
  return createHash('sha256')
    .update(JSON.stringify({ fields: sorted, files }))
    .digest('hex');
}

const BODY_DIGEST = Symbol('cornerstone:body-digest');
type WithDigest = FastifyRequest & { [BODY_DIGEST]?: string };

/** Called by whoever read a streamed body (readMultipartForm), for IdempotencyInterceptor. */
export function recordBodyDigest(request: FastifyRequest, digest: string): void {
  (request as WithDigest)[BODY_DIGEST] = digest;
}

export function recordedBodyDigest(request: FastifyRequest): string | undefined {
  return (request as WithDigest)[BODY_DIGEST];
}

/** Reads the whole multipart body (files hashed and discarded) into its digest. */
export async function readMultipartDigest(request: FastifyRequest): Promise<string> {
  const fields: Record<string, string> = Object.create(null);
  const files: MultipartFile[] = [];
  for await (const part of request.parts({ preservePath: true })) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (!part.filename) {
      part.file.resume();
      continue;
    }
    const hash = createHash('sha256');
    for await (const chunk of part.file) hash.update(chunk as Buffer);
    files.push({ field: part.fieldname, filename: part.filename, sha256: hash.digest('hex') });
  }
  return multipartDigest({ ...fields }, files);
}
