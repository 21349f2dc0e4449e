import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiExtraModels, getSchemaPath } from '@nestjs/swagger';
import { DOCUMENT_KINDS } from '../storage/file-types';
import { MultipartFormOptions } from '../storage/multipart-form';
import { CreateLeadDto } from './dto/create-lead.dto';

/** The one file field of a lead form and what it accepts. */
export const RESUME_FORM: MultipartFormOptions = {
  fileField: 'resume',
  prefix: 'resumes',
  kinds: DOCUMENT_KINDS,
};

/**
 * The request body of a lead create, documented from CreateLeadDto itself (its limits are
 * never written twice): the DTO's fields plus the `resume` file of the multipart form.
 */
export const ApiLeadForm = (resumeRequired: boolean) =>
  applyDecorators(
    ApiExtraModels(CreateLeadDto),
    ApiBody({
      schema: {
        allOf: [
          { $ref: getSchemaPath(CreateLeadDto) },
          {
            type: 'object',
            ...(resumeRequired ? { required: ['resume'] } : {}),
            properties: {
              resume: {
                type: 'string',
                format: 'binary',
                description:
                  'multipart only: PDF, DOCX, ODT or DOC (checked by magic bytes), at most MAX_UPLOAD_BYTES',
              },
            },
          },
        ],
      },
    }),
  );
