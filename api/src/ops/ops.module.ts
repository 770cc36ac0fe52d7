import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { RateLimiter } from './rate-limit';

/** Operations: Prometheus metrics and the per-IP rate limiter (registered as middleware in createApp). */
@Module({ controllers: [MetricsController], providers: [MetricsService, RateLimiter], exports: [MetricsService, RateLimiter] })
export class OpsModule {}
