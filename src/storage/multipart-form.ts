import type {} from '@fastify/multipart';
import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { multipartDigest, recordBodyDigest } from '../common/idempotency/body-digest';
import { FileKind } from './file-types';
import { StoredFile, StorageService } from './storage.service';

export interface MultipartForm {
  /** Text fields by name (each at most once). */
  fields: Record<string, string>;
  /** The stored file, or null when none was sent (an empty file input counts as none). */
  file: StoredFile | null;
}

export interface MultipartFormOptions {
  /** The one file field accepted (e.g. `resume`). */
  fileField: string;
  prefix: string;
  kinds: FileKind[];
}

const invalid = (field: string, message: string) =>
  new BadRequestException({ detail: `${field} ${message}`, errors: [{ field, message }] });

/**
 * Reads a multipart/form-data body: text fields into a plain object, the file streamed
 * straight to storage (never buffered whole). When anything fails after the file was
 * stored, the file is removed before the error propagates.
 */
export async function readMultipartForm(
  request: FastifyRequest,
  storage: StorageService,
  options: MultipartFormOptions,
): Promise<MultipartForm> {
  if (!request.isMultipart()) {
    throw new UnsupportedMediaTypeException('This route takes multipart/form-data');
  }
  const fields: Record<string, string> = Object.create(null);
  let file: StoredFile | null = null;
  let filename = '';
  try {
    // preservePath: see the client's name as sent, so a path in it is refused rather than silently cut.
    for await (const part of request.parts({ preservePath: true })) {
      if (part.type === 'file') {
        if (part.fieldname !== options.fileField) {
          part.file.resume();
          throw invalid(
            part.fieldname,
            `is not a file field (send the file as "${options.fileField}")`,
          );
        }
        if (file) {
          part.file.resume();
          throw invalid(options.fileField, 'must be sent once');
        }
        if (!part.filename) {
          // A form whose file input was left empty sends a nameless, empty part.
          part.file.resume();
          continue;
        }
        filename = part.filename;
        file = await storage.store(part.file, {
          prefix: options.prefix,
          kinds: options.kinds,
          originalName: part.filename,
          truncated: () => part.file.truncated,
        });
      } else {
        if (part.fieldname === options.fileField)
          throw invalid(options.fileField, 'must be a file');
        if (part.fieldname in fields) throw invalid(part.fieldname, 'must be sent once');
        if (part.valueTruncated || part.fieldnameTruncated)
          throw invalid(part.fieldname, 'is too long');
        fields[part.fieldname] = String(part.value);
      }
    }
    const sent = file ? [{ field: options.fileField, filename, sha256: file.sha256 }] : [];
    recordBodyDigest(request, multipartDigest({ ...fields }, sent));
    return { fields: { ...fields }, file };
  } catch (error) {
    if (file) await storage.remove(file.key);
    throw error;
  }
}
