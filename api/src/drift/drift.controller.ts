import { Controller, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe, isoTime, shortText } from '../common/zod';
import { DriftQueryService } from './drift-query.service';
import { DriftIntervalDto, DriftReportDto, EnvironmentDiffDto, EnvironmentStateDto, EnvironmentSummaryDto, ObjectDiffDto } from './drift.dto';

const atQuery = z.strictObject({ at: isoTime.optional(), unmanaged: z.enum(['true', 'false']).optional() });
const historyQuery = z.strictObject({ from: isoTime.optional(), to: isoTime.optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) });
const stateQuery = z.strictObject({ at: isoTime.optional(), side: z.enum(['desired', 'live']).default('desired'), bodies: z.enum(['true', 'false']).optional() });
const diffQuery = z.strictObject({ from: isoTime, to: isoTime, side: z.enum(['desired', 'live', 'both']).default('both') });
const objectDiffQuery = z.strictObject({ a: z.string().max(64), b: z.string().max(64), environment: shortText.optional() });

@ApiTags('drift')
@Controller('api/v1')
export class DriftController {
  constructor(private readonly drift: DriftQueryService) {}

  @Get('environments')
  @ApiOperation({ summary: 'Every environment with its sync status, open drift by kind, last commit, last live change and 7 days of changes' })
  @ApiOkResponse({ type: [EnvironmentSummaryDto] })
  environments() {
    return this.drift.environments();
  }

  @Get('environments/:env/drift')
  @ApiOperation({ summary: 'Drifted objects of an environment now or at a time, each with since when, what began it, and a diff' })
  @ApiQuery({ name: 'at', required: false, description: 'ISO time; now when omitted' })
  @ApiQuery({ name: 'unmanaged', required: false, enum: ['true', 'false'], description: 'also list objects in the cluster that Git does not manage' })
  @ApiOkResponse({ type: DriftReportDto })
  driftAt(@Param('env') env: string, @Query(new ZodPipe(atQuery)) q: z.output<typeof atQuery>) {
    return this.drift.driftAt(env, q.at, { includeUnmanaged: q.unmanaged === 'true' });
  }

  @Get('environments/:env/drift/history')
  @ApiOperation({ summary: 'Drift intervals overlapping a window: opened, closed, by what, how long' })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: [DriftIntervalDto] })
  history(@Param('env') env: string, @Query(new ZodPipe(historyQuery)) q: z.output<typeof historyQuery>) {
    return this.drift.history(env, q.from, q.to, q.limit);
  }

  @Get('environments/:env/state')
  @ApiOperation({ summary: 'The desired or live state of an environment at a time' })
  @ApiQuery({ name: 'at', required: false })
  @ApiQuery({ name: 'side', required: false, enum: ['desired', 'live'] })
  @ApiQuery({ name: 'bodies', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: EnvironmentStateDto })
  state(@Param('env') env: string, @Query(new ZodPipe(stateQuery)) q: z.output<typeof stateQuery>) {
    return this.drift.state(env, q.side, q.at, q.bodies === 'true');
  }

  @Get('environments/:env/diff')
  @ApiOperation({ summary: 'What was created, configured and deleted between two times, in Git, in the cluster, or both' })
  @ApiQuery({ name: 'from' })
  @ApiQuery({ name: 'to' })
  @ApiQuery({ name: 'side', required: false, enum: ['desired', 'live', 'both'] })
  @ApiOkResponse({ type: EnvironmentDiffDto })
  diff(@Param('env') env: string, @Query(new ZodPipe(diffQuery)) q: z.output<typeof diffQuery>) {
    return this.drift.diff(env, q.from, q.to, q.side);
  }

  @Get('objects/:id/diff')
  @ApiOperation({ summary: 'One object between two points: desired, live, desired@<ISO> or live@<ISO>' })
  @ApiQuery({ name: 'a', example: 'desired' })
  @ApiQuery({ name: 'b', example: 'live' })
  @ApiQuery({ name: 'environment', required: false })
  @ApiOkResponse({ type: ObjectDiffDto })
  objectDiff(@Param('id', ParseIntPipe) id: number, @Query(new ZodPipe(objectDiffQuery)) q: z.output<typeof objectDiffQuery>) {
    return this.drift.objectDiff(id, q.a, q.b, q.environment);
  }
}
