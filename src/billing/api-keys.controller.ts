import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Principal } from '../common/auth/access';
import { CursorPageQueryDto } from '../common/pagination/pagination';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyPageResponse, CreatedApiKeyResponse } from './dto/api-key.response';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { Idempotent } from '../common/idempotency/idempotent';

/** Your API keys (`Authorization: Bearer ck_…` or `X-API-Key: ck_…`). Managed with a session, not with a key. */
@ApiTags('api-keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Creates a key with the given scopes; the full key is in this answer only. */
  @Post()
  @Idempotent()
  @Authenticated()
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @ApiBadRequestResponse({
    description: 'Name empty or over 100 characters, unknown scope, expiresAt in the past',
  })
  @ApiForbiddenResponse({ description: 'Called with an API key' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponse> {
    return this.keys.create(principal, dto);
  }

  /** Your keys, newest first, without the key or its hash. */
  @Get()
  @Authenticated()
  @ApiOkResponse({ type: ApiKeyPageResponse })
  @ApiBadRequestResponse({ description: 'Invalid limit or cursor' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: CursorPageQueryDto,
  ): Promise<ApiKeyPageResponse> {
    return this.keys.list(principal.userId, query);
  }

  /** Revokes one of your keys: it answers 401 from the next request on, on every instance. */
  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  @ApiBadRequestResponse({ description: 'id is not a UUID' })
  @ApiForbiddenResponse({ description: 'Called with an API key' })
  @ApiNotFoundResponse({ description: 'No such key of yours' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    await this.keys.revoke(principal, id.toLowerCase());
  }
}
