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
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal } from '../common/auth/access';
import {
  CreateToolGenerationDto,
  ListToolGenerationsQueryDto,
  UpdateToolGenerationDto,
} from './dto/tool-generation.dto';
import { ToolGenerationPageResponse, ToolGenerationResponse } from './dto/tool-generation.response';
import { ToolGenerationsService } from './tool-generations.service';
import { Idempotent } from '../common/idempotency/idempotent';

const NOT_YOURS = 'No such tool generation of yours';

/** Tool generations: owner only; another user's generation is a 404 on every route. */
@ApiTags('tool-generations')
@Controller('tool-generations')
export class ToolGenerationsController {
  constructor(private readonly generations: ToolGenerationsService) {}

  /** Starts a tool generation (pending). */
  @Post()
  @Idempotent()
  @Authenticated()
  @ApiCreatedResponse({ type: ToolGenerationResponse })
  @ApiBadRequestResponse({ description: 'Invalid toolType or config' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateToolGenerationDto,
  ): Promise<ToolGenerationResponse> {
    return this.generations.create(principal.userId, dto);
  }

  /** Your tool generations, newest first; filter by status and toolType. */
  @Get()
  @Authenticated()
  @ApiOkResponse({ type: ToolGenerationPageResponse })
  @ApiBadRequestResponse({ description: 'Unknown status, bad toolType, limit or cursor' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListToolGenerationsQueryDto,
  ): Promise<ToolGenerationPageResponse> {
    return this.generations.list(principal.userId, query);
  }

  /** One of your tool generations. */
  @Get(':id')
  @Authenticated()
  @ApiOkResponse({ type: ToolGenerationResponse })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<ToolGenerationResponse> {
    return this.generations.get(principal.userId, id.toLowerCase());
  }

  /** Changes status, config, result or errorMessage; completed and failed are terminal (409). */
  @Patch(':id')
  @Authenticated()
  @ApiOkResponse({ type: ToolGenerationResponse })
  @ApiBadRequestResponse({ description: 'Invalid status, config, result or errorMessage' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  @ApiConflictResponse({ description: 'Illegal status change (`currentStatus` in the problem)' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateToolGenerationDto,
  ): Promise<ToolGenerationResponse> {
    return this.generations.update(principal.userId, id.toLowerCase(), dto);
  }

  /** Deletes one of your tool generations. */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    await this.generations.delete(principal.userId, id.toLowerCase());
  }
}
