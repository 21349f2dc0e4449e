import {
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../../config/app-config';
import { AppMetrics } from './app-metrics';
import { MetricsController } from './metrics.controller';

/**
 * METRICS_PORT: /metrics without a token on a listener bound to 127.0.0.1 only (a scraper or
 * sidecar on the same host), apart from the API port, its guard and its throttler. Under
 * `npm run start:cluster` each worker shares the port: a scrape reaches one worker.
 */
@Injectable()
export class LocalMetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
  ) {}

  /** The bound port (0 asks the OS for one: tests). */
  get port(): number | null {
    return (this.server?.address() as AddressInfo | null)?.port ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metrics.port === null) return;
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
        return;
      }
      this.metrics.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'Content-Type': contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.metrics.port!, '127.0.0.1', () => resolve());
    });
    this.log.log(`metrics on http://127.0.0.1:${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** GET /metrics (README, "Metrics"); the request hooks are installed by createApp. */
@Module({
  controllers: [MetricsController],
  providers: [AppMetrics, LocalMetricsListener],
  exports: [AppMetrics],
})
export class MetricsModule {}
