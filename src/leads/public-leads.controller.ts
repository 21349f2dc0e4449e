import { Controller, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Throttle } from '@nestjs/throttler';
import { FastifyRequest } from 'fastify';
import { Public } from '../common/auth/access';
import { readMultipartForm } from '../storage/multipart-form';
import { StorageService } from '../storage/storage.service';
import { PublicLeadResponse } from './dto/lead.response';
import { ApiLeadForm, RESUME_FORM } from './lead-form';
import { LeadsService } from './leads.service';
import { Idempotent } from '../common/idempotency/idempotent';

/** The public intake form: no credentials, multipart with a required resume, 5 requests a minute per IP. */
@ApiTags('leads')
@Controller('public/entities/:entityId/leads')
export class PublicLeadsController {
  constructor(
    private readonly leads: LeadsService,
    private readonly storage: StorageService,
  ) {}

  /** Submits a lead with its resume through the public intake form of an active entity. */
  @Post()
  @Idempotent()
  @Public()
  @Throttle({ default: { limit: 5, ttl: 60_000 } })
  @ApiConsumes('multipart/form-data')
  @ApiLeadForm(true)
  @ApiCreatedResponse({ type: PublicLeadResponse })
  @ApiConflictResponse({ description: 'A lead with this email exists in the entity' })
  @ApiPayloadTooLargeResponse({ description: 'The resume is larger than MAX_UPLOAD_BYTES' })
  @ApiUnsupportedMediaTypeResponse({
    description: 'Not multipart, or the resume is not a PDF, DOCX, ODT or DOC',
  })
  @ApiTooManyRequestsResponse({ description: 'More than 5 submissions a minute from this address' })
  async submit(
    @Param('entityId', new ParseUUIDPipe()) entityId: string,
    @Req() req: FastifyRequest,
  ): Promise<PublicLeadResponse> {
    await this.leads.assertIntakeOpen(entityId);
    return this.leads.submitPublic(
      entityId,
      await readMultipartForm(req, this.storage, RESUME_FORM),
    );
  }
}
