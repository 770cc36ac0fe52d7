import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from '../app/app.module';
import { buildOpenApi } from '../server';
import { createLogger } from '../common/logger';
import { parseConfig } from '../config/load';
import { VERSION } from '../version';

/** Build the OpenAPI document without a database: the same document /api/docs-json serves. */
export async function writeOpenApi(): Promise<string> {
  const { config } = parseConfig('{}', '(openapi)', {});
  const logger = createLogger({ level: 'silent' });
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({
      runtime: { version: VERSION, mode: 'unconfigured', database: 'embedded', config, configSource: null, features: [], workers: false },
      dataSource: new DataSource({ type: 'postgres' }),
      logger,
      installKey: Buffer.alloc(32),
    }),
    { logger: false },
  );
  await app.init();
  const doc = buildOpenApi(app);
  await app.close();
  return JSON.stringify(doc, null, 2) + '\n';
}
