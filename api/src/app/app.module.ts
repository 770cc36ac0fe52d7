import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { CONFIG, INSTALL_KEY, LOGGER, RUNTIME } from '../config/config.tokens';
import { HealthModule } from '../health/health.module';
import { SystemController } from '../system/system.controller';
import { GitModule } from '../git/git.module';
import { DriftModule } from '../drift/drift.module';
import { ClusterModule } from '../cluster/cluster.module';
import { TimelineModule } from '../timeline/timeline.module';
import { AlertsModule } from '../alerts/alerts.module';
import { ReportsModule } from '../reports/reports.module';
import { OpsModule } from '../ops/ops.module';
import { AuthModule } from '../auth/auth.module';
import { ActionsModule } from '../ops/actions.module';
import type { RuntimeInfo } from '../runtime-info';

export interface AppContext {
  runtime: RuntimeInfo;
  dataSource: DataSource;
  logger: Logger;
  installKey: Buffer;
  /** Feature modules (git, cluster, drift, …) added as they exist. */
  features?: DynamicModule[] | (new () => unknown)[];
}

@Global()
@Module({})
class RuntimeModule {
  static register(ctx: AppContext): DynamicModule {
    const providers: Provider[] = [
      { provide: RUNTIME, useValue: ctx.runtime },
      { provide: CONFIG, useValue: ctx.runtime.config },
      { provide: LOGGER, useValue: ctx.logger },
      { provide: INSTALL_KEY, useValue: ctx.installKey },
      { provide: DataSource, useValue: ctx.dataSource },
    ];
    return { module: RuntimeModule, providers, exports: providers };
  }
}

@Module({})
export class AppModule {
  static register(ctx: AppContext): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.register(ctx),
        LoggerModule.forRoot({
          pinoHttp: {
            logger: ctx.logger,
            genReqId: (req, res) => {
              const given = req.headers['x-request-id'];
              const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
            // Who asked (a name and role, never a credential), on each request's log line.
            customProps: (req) => {
              const p = (req as { principal?: { name: string; role: string } }).principal;
              return p ? { principal: `${p.name} (${p.role})` } : {};
            },
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
        AuthModule,
        HealthModule,
        GitModule,
        DriftModule,
        ClusterModule,
        TimelineModule,
        AlertsModule,
        ReportsModule,
        OpsModule,
        ActionsModule,
        ...((ctx.features ?? []) as DynamicModule[]),
      ],
      controllers: [SystemController],
    };
  }
}
