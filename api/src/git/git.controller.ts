import { Controller, Get, HttpCode, Param, Post, Query, Req, Headers } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import { ZodPipe, isoTime, pageLimit, cursor, shortText } from '../common/zod';
import { GitQueryService } from './git-query.service';
import { GitWebhookService } from './git-webhook.service';
import { BlobProblemDto, CommitDetailDto, CommitPageDto, DesiredStateDto, IndexAcceptedDto, RepositoryStatusDto } from './git.dto';
import { Public } from '../auth/roles';

const commitsQuery = z.strictObject({
  environment: shortText.optional(),
  repository: shortText.optional(),
  path: z.string().max(1024).optional(),
  author: shortText.optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  cursor,
  limit: pageLimit,
});
const desiredQuery = z.strictObject({ at: isoTime.optional(), commit: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a commit id').optional() });
const problemsQuery = z.strictObject({ limit: pageLimit });

@ApiTags('git')
@Controller('api/v1')
export class GitController {
  constructor(
    private readonly query: GitQueryService,
    private readonly webhooks: GitWebhookService,
  ) {}

  @Get('repositories')
  @ApiOperation({ summary: 'Configured repositories with their index status and lag' })
  @ApiOkResponse({ type: [RepositoryStatusDto] })
  repositories() {
    return this.query.repositories();
  }

  @Get('repositories/:name/problems')
  @ApiOperation({ summary: 'Files that could not be parsed (bad YAML, templates, binary, too large, encrypted…), with the reason' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: [BlobProblemDto] })
  problems(@Param('name') name: string, @Query(new ZodPipe(problemsQuery)) q: z.output<typeof problemsQuery>) {
    return this.query.problems(name, q.limit);
  }

  @Get('commits')
  @ApiOperation({ summary: 'Commits, newest first, filtered and paged with a cursor' })
  @ApiQuery({ name: 'environment', required: false })
  @ApiQuery({ name: 'repository', required: false })
  @ApiQuery({ name: 'path', required: false, description: 'a file or folder prefix' })
  @ApiQuery({ name: 'author', required: false, description: 'part of a name or email' })
  @ApiQuery({ name: 'from', required: false, description: 'ISO time' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO time' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: CommitPageDto })
  commits(@Query(new ZodPipe(commitsQuery)) q: z.output<typeof commitsQuery>) {
    return this.query.commits(q);
  }

  @Get('commits/:sha')
  @ApiOperation({ summary: 'One commit: files changed (with parse problems) and objects changed per environment, each with a YAML diff' })
  @ApiOkResponse({ type: CommitDetailDto })
  commit(@Param('sha') sha: string) {
    return this.query.commit(sha);
  }

  @Get('environments/:env/desired')
  @ApiOperation({ summary: 'The full desired state of an environment at a time (at) or a commit (commit); now when neither is given' })
  @ApiQuery({ name: 'at', required: false, description: 'ISO time' })
  @ApiQuery({ name: 'commit', required: false })
  @ApiOkResponse({ type: DesiredStateDto })
  desired(@Param('env') env: string, @Query(new ZodPipe(desiredQuery)) q: z.output<typeof desiredQuery>) {
    return this.query.desired(env, q);
  }

  @Public() // verifies the sender's HMAC signature or token itself
  @Post('hooks/git/:repository')
  @HttpCode(202)
  @ApiOperation({ summary: 'Push webhook (GitHub: X-Hub-Signature-256; GitLab: X-Gitlab-Token): fetches and indexes the repository at once' })
  @ApiAcceptedResponse({ type: IndexAcceptedDto })
  hook(@Param('repository') repository: string, @Req() req: Request & { rawBody?: Buffer }, @Headers() headers: Record<string, string | undefined>) {
    return this.webhooks.receive(repository, req.rawBody ?? Buffer.alloc(0), headers);
  }
}
