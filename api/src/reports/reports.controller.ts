import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { createReadStream } from 'node:fs';
import type { Request } from 'express';
import { z } from 'zod';
import { ZodPipe, isoTime, shortText } from '../common/zod';
import { ReportsService } from './reports.service';
import { CreateReportDto, ReportDto, ReportListDto } from './reports.dto';
import { MinRole } from '../auth/roles';
import type { AuthedRequest } from '../auth/principal';

const list = z.array(shortText).max(100).optional();
const createBody = z.strictObject({
  environments: z.array(shortText).min(1, 'name at least one environment').max(50),
  from: z.string().max(64),
  to: z.string().max(64),
  format: z.enum(['csv', 'json', 'pdf']),
  kinds: list,
  namespaces: list,
  authors: list,
});
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50), before: isoTime.optional() });
const idParam = z.uuid({ error: 'expected a report id (a UUID)' });

/** Who asked: the authenticated principal once auth sets one, otherwise the client address. */
/** Who asked, as the report records it: the signed-in name and role (the guard guarantees one). */
function requester(req: Request): string {
  const p = (req as AuthedRequest).principal;
  return p ? `${p.name} (${p.role})` : `unknown (${req.ip ?? 'unknown address'})`;
}

@ApiTags('reports')
@MinRole('auditor')
@Controller('api/v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Start an audit report job (CSV, JSON or PDF) for environments and a window; returns its id' })
  @ApiBody({ type: CreateReportDto })
  @ApiAcceptedResponse({ type: ReportDto })
  create(@Body(new ZodPipe(createBody)) body: z.output<typeof createBody>, @Req() req: Request) {
    return this.reports.create(body, requester(req));
  }

  @Get()
  @ApiOperation({ summary: 'Earlier reports, newest first: who asked, when, status' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'before', required: false, description: 'ISO time: reports created before it (paging)' })
  @ApiOkResponse({ type: ReportListDto })
  async list(@Query(new ZodPipe(listQuery)) q: z.output<typeof listQuery>) {
    return { items: await this.reports.list(q.limit, q.before) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One report job: status and progress' })
  @ApiOkResponse({ type: ReportDto })
  get(@Param('id', new ZodPipe(idParam)) id: string) {
    return this.reports.get(id);
  }

  @Get(':id/download')
  @ApiOperation({ summary: 'The report file, streamed' })
  @ApiProduces('text/csv', 'application/json', 'application/pdf')
  @ApiOkResponse({ description: 'the file', schema: { type: 'string', format: 'binary' } })
  async download(@Param('id', new ZodPipe(idParam)) id: string) {
    const f = await this.reports.download(id);
    return new StreamableFile(createReadStream(f.path), { type: f.contentType, length: f.size, disposition: `attachment; filename="${f.filename}"` });
  }
}
