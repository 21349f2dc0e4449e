import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { buildTypeOrmOptions } from './typeorm-options';

/** For the TypeORM CLI (npm run migration:*): the same options as the app, never run on import. */
export default new DataSource({ ...buildTypeOrmOptions(loadConfig()), migrationsRun: false });
