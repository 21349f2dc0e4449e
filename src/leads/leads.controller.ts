import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
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
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Scopes, Tenant, TenantContext, TenantRole } from '../common/auth/access';
import { IfMatch, VersionCondition, Versioned } from '../common/http/etag';
import { SearchRateLimit } from '../common/http/search-rate-limit';
import { validateDto } from '../common/errors/validation-pipe';
import { attachmentDisposition } from '../storage/content-disposition';
import { readMultipartForm } from '../storage/multipart-form';
import { StorageService } from '../storage/storage.service';
import { CreateLeadDto } from './dto/create-lead.dto';
import {
  LeadNumberedPageResponse,
  LeadPageResponse,
  LeadResponse,
  LeadStatsResponse,
} from './dto/lead.response';
import { ListLeadsQueryDto, RecentLeadsQueryDto } from './dto/list-leads.query.dto';
import { UpdateLeadDto } from './dto/update-lead.dto';
import { ApiLeadForm, RESUME_FORM } from './lead-form';
import { LeadsService } from './leads.service';
import { Idempotent } from '../common/idempotency/idempotent';

/**
 * Tenant lead routes: every route needs a membership in `:entityId` (DELETE needs admin); API keys
 * need `leads:read` for reads and `leads:write` for writes (JWT callers have every scope).
 */
@ApiTags('leads')
@ApiExtraModels(LeadPageResponse, LeadNumberedPageResponse)
@Controller('entities/:entityId/leads')
export class LeadsController {
  constructor(
    private readonly leads: LeadsService,
    private readonly storage: StorageService,
  ) {}

  /** Creates a lead from JSON, or from multipart/form-data with an optional `resume` file. */
  @Post()
  @Idempotent()
  @TenantRole('member')
  @Scopes('leads:write')
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiLeadForm(false)
  @ApiCreatedResponse({ type: LeadResponse })
  @ApiConflictResponse({ description: 'A lead with this email exists in the entity' })
  @ApiPayloadTooLargeResponse({ description: 'The resume is larger than MAX_UPLOAD_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'The resume is not a PDF, DOCX, ODT or DOC' })
  async create(@Tenant() tenant: TenantContext, @Req() req: FastifyRequest): Promise<LeadResponse> {
    if (!req.isMultipart()) {
      return this.leads.create(tenant.entityId, await validateDto(CreateLeadDto, req.body));
    }
    const form = await readMultipartForm(req, this.storage, RESUME_FORM);
    return this.leads.createFromForm(tenant.entityId, form);
  }

  /**
   * The entity's leads, newest first. Keyset mode (`limit`, `cursor`) → {items, nextCursor}; with `page` →
   * {items, total, page, limit} (page × limit ≤ 10,000).
   */
  @Get()
  @TenantRole('member')
  @Scopes('leads:read')
  @SearchRateLimit()
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

  /** One lead. */
  @Get(':leadId')
  @TenantRole('member')
  @Scopes('leads:read')
  @Versioned('lead', 'leadId')
  @ApiOkResponse({ type: LeadResponse })
  async findOne(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
  ): Promise<LeadResponse> {
    return this.leads.findOne(tenant.entityId, leadId);
  }

  /** Any subset of firstName, lastName, email, notes, status (the reached-out rule applies). */
  @Patch(':leadId')
  @TenantRole('member')
  @Scopes('leads:write')
  @Versioned('lead', 'leadId')
  @ApiOkResponse({ type: LeadResponse })
  @ApiBadRequestResponse({ description: 'Invalid field (e.g. an unknown status)' })
  @ApiConflictResponse({
    description: 'Another lead of the entity has this email, or the status changed concurrently',
  })
  async update(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
    @Body() dto: UpdateLeadDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<LeadResponse> {
    return this.leads.update(tenant.entityId, leadId, dto, expected);
  }

  /** Deletes the lead and its stored resume (admin or owner). */
  @Delete(':leadId')
  @HttpCode(204)
  @TenantRole('admin')
  @Scopes('leads:write')
  @Versioned('lead', 'leadId')
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @Tenant() tenant: TenantContext,
    @Param('leadId', new ParseUUIDPipe()) leadId: string,
    @IfMatch() expected: VersionCondition,
  ): Promise<void> {
    await this.leads.remove(tenant.entityId, leadId, expected);
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
      disposition: attachmentDisposition(file.fileName, 'resume'),
    });
  }
}
