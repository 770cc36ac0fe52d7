import { Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe } from '../common/zod';
import { MinRole } from '../auth/roles';
import { GitIndexService } from '../git/git-index.service';
import { LiveRecorderService } from '../cluster/live-recorder.service';

const nameParam = new ZodPipe(z.string().min(1).max(63));
const indexQuery = z.strictObject({ fetch: z.enum(['true', 'false']).default('true') });

export class IndexRunDto {
  @ApiProperty() repository!: string;
  @ApiProperty({ nullable: true, type: String }) head!: string | null;
  @ApiProperty() commits!: number;
  @ApiProperty() newCommits!: number;
  @ApiProperty() fileChanges!: number;
  @ApiProperty() objectRevisions!: number;
  @ApiProperty() parseErrors!: number;
  @ApiProperty({ description: 'commits that a force push made unreachable in this run' }) unreachable!: number;
  @ApiProperty() seconds!: number;
}

export class SnapshotRunDto {
  @ApiProperty() cluster!: string;
  @ApiProperty({ enum: ['ok', 'partial', 'failed'] }) status!: string;
  @ApiProperty() kinds!: number;
  @ApiProperty() objects!: number;
  @ApiProperty() created!: number;
  @ApiProperty() configured!: number;
  @ApiProperty() deleted!: number;
  @ApiProperty({ description: 'kinds that could not be listed' }) gaps!: number;
  @ApiProperty({ type: [String] }) errors!: string[];
  @ApiProperty() seconds!: number;
}

/** Work an admin can start from the API (the same as `driftline index` and `driftline snapshot`). */
@ApiTags('operations')
@Controller('api/v1')
@MinRole('admin')
export class ActionsController {
  constructor(
    private readonly git: GitIndexService,
    private readonly live: LiveRecorderService,
  ) {}

  @Post('repositories/:name/index')
  @HttpCode(200)
  @ApiOperation({ summary: 'Fetch (unless fetch=false) and index a repository now; answers when done. Admin only.' })
  @ApiQuery({ name: 'fetch', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: IndexRunDto })
  async index(@Param('name', nameParam) name: string, @Query(new ZodPipe(indexQuery)) q: z.output<typeof indexQuery>): Promise<IndexRunDto> {
    const [summary] = await this.git.index(name, { fetch: q.fetch === 'true' });
    return summary!;
  }

  @Post('clusters/:name/snapshot')
  @HttpCode(200)
  @ApiOperation({ summary: 'List every watched kind of a cluster once and record what changed. Admin only.' })
  @ApiOkResponse({ type: SnapshotRunDto })
  async snapshot(@Param('name', nameParam) name: string): Promise<SnapshotRunDto> {
    const [summary] = await this.live.snapshot(name);
    return summary!;
  }
}
