import { IfMatch, VersionCondition, Versioned } from '../common/http/etag';
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
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated, CurrentPrincipal, Principal } from '../common/auth/access';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { attachmentDisposition } from '../storage/content-disposition';
import { DATA_KINDS, FILE_TYPES } from '../storage/file-types';
import { readMultipartForm } from '../storage/multipart-form';
import { StorageService } from '../storage/storage.service';
import { AnalysesService, ANALYSIS_FILE_FORM } from './analyses.service';
import { CreateAnalysisDto, ListAnalysesQueryDto, UpdateAnalysisDto } from './dto/analysis.dto';
import {
  AnalysisFilePageResponse,
  AnalysisFileResponse,
  AnalysisPageResponse,
  AnalysisResponse,
} from './dto/analysis.response';
import { Idempotent } from '../common/idempotency/idempotent';

const NOT_YOURS = 'No such analysis of yours';

/** Data analyses and their files: owner only; another user's analysis or file is a 404 on every route. */
@ApiTags('analyses')
@Controller('analyses')
export class AnalysesController {
  constructor(
    private readonly analyses: AnalysesService,
    private readonly storage: StorageService,
  ) {}

  /** Starts an analysis (pending). */
  @Post()
  @Idempotent()
  @Authenticated()
  @ApiCreatedResponse({ type: AnalysisResponse })
  @ApiBadRequestResponse({ description: 'Invalid name, analysisType, parameters or entityId' })
  @ApiNotFoundResponse({ description: 'entityId is not an organisation you are a member of' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateAnalysisDto,
  ): Promise<AnalysisResponse> {
    return this.analyses.create(principal.userId, dto);
  }

  /** Your analyses, newest first; filter by status and analysisType. */
  @Get()
  @Authenticated()
  @ApiOkResponse({ type: AnalysisPageResponse })
  @ApiBadRequestResponse({ description: 'Unknown status, bad analysisType, limit or cursor' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAnalysesQueryDto,
  ): Promise<AnalysisPageResponse> {
    return this.analyses.list(principal.userId, query);
  }

  /** One of your analyses (a completed one is served from the cache). */
  @Get(':id')
  @Authenticated()
  @Versioned('analysis')
  @ApiOkResponse({ type: AnalysisResponse })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<AnalysisResponse> {
    return this.analyses.get(principal.userId, id.toLowerCase());
  }

  /** Changes status, result or errorMessage; completed and failed are terminal (409). */
  @Patch(':id')
  @Authenticated()
  @Versioned('analysis')
  @ApiOkResponse({ type: AnalysisResponse })
  @ApiBadRequestResponse({ description: 'Invalid status, result or errorMessage' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  @ApiConflictResponse({ description: 'Illegal status change (`currentStatus` in the problem)' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateAnalysisDto,
    @IfMatch() expected: VersionCondition,
  ): Promise<AnalysisResponse> {
    return this.analyses.update(principal.userId, id.toLowerCase(), dto, expected);
  }

  /** Deletes one of your analyses and its files (rows, then the stored files). */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @Versioned('analysis')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @IfMatch() expected: VersionCondition,
  ): Promise<void> {
    await this.analyses.delete(principal.userId, id.toLowerCase(), expected);
  }

  /** Uploads a file (multipart field `file`): CSV, JSON, XLSX or PDF, decided from its content. */
  @Post(':id/files')
  @Idempotent()
  @Authenticated()
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: {
          type: 'string',
          format: 'binary',
          description:
            'CSV, JSON, XLSX or PDF (magic bytes or strict UTF-8 text sniffing), at most MAX_UPLOAD_BYTES',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: AnalysisFileResponse })
  @ApiBadRequestResponse({
    description: 'No file, an extra field, a bad file name or an empty file',
  })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  @ApiPayloadTooLargeResponse({ description: 'The file is larger than MAX_UPLOAD_BYTES' })
  @ApiUnsupportedMediaTypeResponse({
    description:
      'Not multipart, or the file is not a CSV, JSON, XLSX or PDF (executables included)',
  })
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Req() req: FastifyRequest,
  ): Promise<AnalysisFileResponse> {
    const analysisId = id.toLowerCase();
    await this.analyses.assertOwned(principal.userId, analysisId);
    const form = await readMultipartForm(req, this.storage, ANALYSIS_FILE_FORM);
    return this.analyses.addFile(principal.userId, analysisId, form);
  }

  /** The analysis's files, newest first. */
  @Get(':id/files')
  @Authenticated()
  @ApiOkResponse({ type: AnalysisFilePageResponse })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  listFiles(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() query: CursorPageQueryDto,
  ): Promise<AnalysisFilePageResponse> {
    return this.analyses.listFiles(principal.userId, id.toLowerCase(), query);
  }

  /** The file as a download (`Content-Disposition: attachment`, never rendered inline). */
  @Get(':id/files/:fileId')
  @Authenticated()
  @ApiProduces(...DATA_KINDS.map((k) => FILE_TYPES[k].contentType))
  @ApiOkResponse({ description: 'The file', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'No such file of an analysis of yours' })
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('fileId', new ParseUUIDPipe()) fileId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const file = await this.analyses.openFile(
      principal.userId,
      id.toLowerCase(),
      fileId.toLowerCase(),
    );
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Content-Security-Policy', "default-src 'none'; sandbox");
    reply.header('Cache-Control', 'private, no-store');
    return new StreamableFile(file.stream, {
      type: file.contentType,
      length: file.size,
      disposition: attachmentDisposition(file.fileName, 'file'),
    });
  }
}
