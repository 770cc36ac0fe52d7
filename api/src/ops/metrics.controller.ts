import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { MetricsService } from './metrics.service';
import { Public } from '../auth/roles';

/** Prometheus scrape endpoint; unauthenticated like /healthz (it holds counts and names, no contents). */
@ApiExcludeController()
@Public()
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
