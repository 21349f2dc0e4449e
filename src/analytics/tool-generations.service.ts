import { Injectable, NotFoundException } from '@nestjs/common';
import { decodeCursor, Page, toPage } from '../common/pagination/pagination';
import { deleteInBatches } from '../database/batched-delete';
import {
  CreateToolGenerationDto,
  ListToolGenerationsQueryDto,
  UpdateToolGenerationDto,
} from './dto/tool-generation.dto';
import { ToolGenerationResponse, toToolGenerationResponse } from './dto/tool-generation.response';
import { assertJobTransition } from './job-status';
import { ToolGenerationsRepository } from './tool-generations.repository';

const notFound = () => new NotFoundException('Tool generation not found');
/** Rows per DELETE statement in cleanup. */
const CLEANUP_BATCH = 1000;

/** Tool generations, each visible to its owner only (404 to anyone else). */
@Injectable()
export class ToolGenerationsService {
  constructor(private readonly repository: ToolGenerationsRepository) {}

  async create(userId: string, dto: CreateToolGenerationDto): Promise<ToolGenerationResponse> {
    return toToolGenerationResponse(await this.repository.insert(userId, dto));
  }

  async list(
    userId: string,
    query: ListToolGenerationsQueryDto,
  ): Promise<Page<ToolGenerationResponse>> {
    const rows = await this.repository.findPage(
      userId,
      { status: query.status, toolType: query.toolType },
      query.limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, query.limit, toToolGenerationResponse);
  }

  async get(userId: string, id: string): Promise<ToolGenerationResponse> {
    const row = await this.repository.findOne(userId, id);
    if (!row) throw notFound();
    return toToolGenerationResponse(row);
  }

  /** Applies the changes conditionally on the status read; a race that moved it is re-checked. */
  async update(
    userId: string,
    id: string,
    dto: UpdateToolGenerationDto,
  ): Promise<ToolGenerationResponse> {
    for (;;) {
      const current = await this.repository.findOne(userId, id);
      if (!current) throw notFound();
      const status = dto.status ?? current.status;
      assertJobTransition(current.status, status, 'tool generation');
      const updated = await this.repository.update(userId, id, current.status, {
        status,
        config: dto.config,
        result: dto.result,
        errorMessage: dto.errorMessage,
      });
      if (updated) return toToolGenerationResponse(updated);
    }
  }

  async delete(userId: string, id: string): Promise<void> {
    if (!(await this.repository.delete(userId, id))) throw notFound();
  }

  /** Deletes finished generations last changed before `cutoff`, in batches; how many. */
  deleteFinishedBefore(cutoff: Date): Promise<number> {
    return deleteInBatches(CLEANUP_BATCH, (limit) =>
      this.repository.deleteFinishedBefore(cutoff, limit),
    );
  }

  count(): Promise<number> {
    return this.repository.count();
  }
}
