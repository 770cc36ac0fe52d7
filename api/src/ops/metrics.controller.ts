import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint; unauthenticated like /healthz (it holds counts and names, no contents). */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  async scrape(@Res() res: Response) {
    const m = await this.metrics.render();
    res.setHeader('Cache-Control', 'no-store');
    res.type(m.contentType).send(m.body);
  }
}
