import { DynamicModule, Module } from '@nestjs/common';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/app-config';
import { CLI_COMMANDS } from './commands';

/** The whole application context (services, repositories) plus the commands; no HTTP server. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [AppModule.forRoot(config)],
      providers: [...CLI_COMMANDS],
    };
  }
}
