import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { RateLimiter } from './rate-limit';
import { ShutdownLog } from './shutdown-log';

/** Operations: Prometheus metrics and the per-IP rate limiter (registered as middleware in createApp). */
@Module({ controllers: [MetricsController], providers: [MetricsService, RateLimiter, ShutdownLog], exports: [MetricsService, RateLimiter] })
export class OpsModule {}
