import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { Throttle } from '@nestjs/throttler';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Public, Scopes, Tenant, TenantContext, TenantRole } from '../common/auth/access';
import { createValidationPipe } from '../common/errors/validation-pipe';
import { EntitiesService } from '../entities/entities.service';
import { DOCUMENT_KINDS } from '../storage/file-types';
import { readMultipartForm } from '../storage/multipart-form';
import { StorageService } from '../storage/storage.service';
import { CreateLeadDto } from './dto/create-lead.dto';
import {
  LeadNumberedPageResponse,
  LeadPageResponse,
  LeadResponse,
  LeadStatsResponse,
  PublicLeadResponse,
} from './dto/lead.response';
import { ListLeadsQueryDto, RecentLeadsQueryDto } from './dto/list-leads.query.dto';
import { UpdateLeadDto } from './dto/update-lead.dto';
import { LeadsService, toLeadResponse } from './leads.service';

const validation = createValidationPipe();
const validateCreate = (value: unknown) =>
  validation.transform(value, { type: 'body', metatype: CreateLeadDto }) as Promise<CreateLeadDto>;

const RESUME_FORM = { fileField: 'resume', prefix: 'resumes', kinds: DOCUMENT_KINDS };

const leadFormSchema = (resumeRequired: boolean) => ({
  type: 'object',
  required: ['firstName', 'lastName', 'email', ...(resumeRequired ? ['resume'] : [])],
  properties: {
    firstName: { type: 'string', maxLength: 100 },
    lastName: { type: 'string', maxLength: 100 },
    email: { type: 'string', format: 'email', maxLength: 255 },
    notes: { type: 'string', maxLength: 5000 },
    resume: {
      type: 'string',
      format: 'binary',
      description:
        'multipart only: PDF, DOCX, ODT or DOC (checked by magic bytes), at most MAX_UPLOAD_BYTES',
    },
  },
});

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 100) || 'resume';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Tenant lead routes: every route needs a membership in `:id` (DELETE needs admin); API keys
 * need `leads:read` for reads and `leads:write` for writes (JWT callers have every scope).
 */
@ApiTags('leads')
@ApiExtraModels(LeadPageResponse, LeadNumberedPageResponse)
@Controller('entities/:id/leads')
export class LeadsController {
  constructor(
    private readonly leads: LeadsService,
    private readonly storage: StorageService,
  ) {}

  /** Creates a lead from JSON, or from multipart/form-data with an optional `resume` file. */
  @Post()
  @TenantRole('member')
  @Scopes('leads:write')
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ schema: leadFormSchema(false) })
  @ApiCreatedResponse({ type: LeadResponse })
  @ApiConflictResponse({ description: 'A lead with this email exists in the entity' })
  @ApiPayloadTooLargeResponse({ description: 'The resume is larger than MAX_UPLOAD_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'The resume is not a PDF, DOCX, ODT or DOC' })
  async create(@Tenant() tenant: TenantContext, @Req() req: FastifyRequest): Promise<LeadResponse> {
    if (!req.isMultipart()) {
      return toLeadResponse(
        await this.leads.create(tenant.entityId, await validateCreate(req.body)),
      );
    }
    const form = await readMultipartForm(req, this.storage, RESUME_FORM);
    let dto: CreateLeadDto;
    try {
      dto = await validateCreate(form.fields);
    } catch (error) {
      await this.storage.remove(form.file?.key);
      throw error;
    }
    return toLeadResponse(await this.leads.create(tenant.entityId, dto, form.file));
  }

  /**
   * Newest first. Keyset mode (`limit`, `cursor`) → {items, nextCursor}; with `page` →
   * {items, total, page, limit} (page × limit ≤ 10,000).
   */
  @Get()
  @TenantRole('member')
  @Scopes('leads:read')
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(LeadPageResponse) },
        { $ref: getSchemaPath(LeadNumberedPageResponse) },
      ],
    },
  })
  list(@Tenant() tenant: TenantContext, @Query() query: ListLeadsQueryDto) {
    return this.leads.list(tenant.entityId, query);
  }

  /** Counts by status and the leads reached out to in the last 7 days. */
  @Get('stats')
  @TenantRole('member')
  @Scopes('leads:read')
  @ApiOkResponse({ type: LeadStatsResponse })
  stats(@Tenant() tenant: TenantContext): Promise<LeadStatsResponse> {
    return this.leads.stats(tenant.entityId);
  }

  /** Leads created in the last `days` days (1–365), newest first. */
  @Get('recent')
  @TenantRole('member')
  @Scopes('leads:read')
  @ApiOkResponse({ type: LeadPageResponse })
  recent(@Tenant() tenant: TenantContext, @Query() query: RecentLeadsQueryDto) {
    return this.leads.recent(tenant.entityId, query);
  }

  @Get(':leadId')
  @TenantRole('member')
  @Scopes('leads:read')
  @ApiOkResponse({ type: LeadResponse })
  async findOne(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
  ): Promise<LeadResponse> {
    return toLeadResponse(await this.leads.findOne(tenant.entityId, leadId));
  }

  /** Any subset of firstName, lastName, email, notes, status (the reached-out rule applies). */
  @Patch(':leadId')
  @TenantRole('member')
  @Scopes('leads:write')
  @ApiOkResponse({ type: LeadResponse })
  @ApiBadRequestResponse({ description: 'Invalid field (e.g. an unknown status)' })
  async update(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
    @Body() dto: UpdateLeadDto,
  ): Promise<LeadResponse> {
    return toLeadResponse(await this.leads.update(tenant.entityId, leadId, dto));
  }

  /** Deletes the lead and its stored resume (admin or owner). */
  @Delete(':leadId')
  @HttpCode(204)
  @TenantRole('admin')
  @Scopes('leads:write')
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
  ): Promise<void> {
    await this.leads.remove(tenant.entityId, leadId);
  }

  /** The resume as a download (`Content-Disposition: attachment`, never rendered inline). */
  @Get(':leadId/resume')
  @TenantRole('member')
  @Scopes('leads:read')
  @ApiProduces(
    'application/pdf',
    'application/msword',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.oasis.opendocument.text',
  )
  @ApiOkResponse({ description: 'The file', schema: { type: 'string', format: 'binary' } })
  async resume(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const file = await this.leads.resume(tenant.entityId, leadId);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Security-Policy', "default-src 'none'; sandbox");
    reply.header('Cache-Control', 'private, no-store');
    return new StreamableFile(file.stream, {
      type: file.contentType,
      length: file.size,
      disposition: contentDisposition(file.fileName),
    });
  }
}

/** The public intake form: no credentials, multipart with a required resume, 5 requests a minute per IP. */
@ApiTags('leads')
@Controller('public/entities/:id/leads')
export class PublicLeadsController {
  constructor(
    private readonly leads: LeadsService,
    private readonly entities: EntitiesService,
    private readonly storage: StorageService,
  ) {}

  @Post()
  @Public()
  @Throttle({ default: { limit: 5, ttl: 60_000 } })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: leadFormSchema(true) })
  @ApiCreatedResponse({ type: PublicLeadResponse })
  @ApiConflictResponse({ description: 'A lead with this email exists in the entity' })
  @ApiPayloadTooLargeResponse({ description: 'The resume is larger than MAX_UPLOAD_BYTES' })
  @ApiUnsupportedMediaTypeResponse({
    description: 'Not multipart, or the resume is not a PDF, DOCX, ODT or DOC',
  })
  @ApiTooManyRequestsResponse({ description: 'More than 5 submissions a minute from this address' })
  async submit(
    @Param('id', new ParseUUIDPipe()) entityId: string,
    @Req() req: FastifyRequest,
  ): Promise<PublicLeadResponse> {
    const entity = await this.entities.findActive(entityId);
    if (!entity) throw new NotFoundException('Entity not found');
    const form = await readMultipartForm(req, this.storage, RESUME_FORM);
    try {
      const dto = await validateCreate(form.fields);
      if (!form.file) {
        throw new BadRequestException({
          detail: 'resume is required: attach a PDF, DOCX, ODT or DOC file',
          errors: [{ field: 'resume', message: 'is required' }],
        });
      }
      return await this.leads.createPublic(entity.id, dto, form.file);
    } catch (error) {
      // createPublic removes the file itself when the insert fails; removing twice is harmless.
      await this.storage.remove(form.file?.key);
      throw error;
    }
  }
}
