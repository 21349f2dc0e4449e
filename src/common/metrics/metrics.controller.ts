import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { FastifyReply } from 'fastify';
import { BearerTokenOnly } from '../auth/access';
import { AppMetrics } from './app-metrics';

@ApiTags('operations')
@Controller('metrics')
@SkipThrottle()
export class MetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  /**
   * Prometheus metrics of this process (text exposition format). Only with
   * `Authorization: Bearer <METRICS_TOKEN>`; or without a token on 127.0.0.1:METRICS_PORT.
   */
  @Get()
  @BearerTokenOnly('metrics')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await this.metrics.scrape();
    reply.header('Content-Type', contentType);
    reply.header('Cache-Control', 'no-store');
    return body;
  }
}
