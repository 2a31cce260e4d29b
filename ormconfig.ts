import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/load-config';
import { buildDataSourceOptions } from './src/database/data-source-options';

// The TypeORM CLI's data source: same options as the app. Migrations run under the owner role
// configured here (POSTGRES_USER), against an external server (POSTGRES_HOST must be set).
export default new DataSource(buildDataSourceOptions(loadConfig().postgres));
