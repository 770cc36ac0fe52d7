import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe, isoTime } from '../common/zod';
import { GitQueryService } from './git-query.service';
import { EnvironmentRendersDto } from './git.dto';

const rendersQuery = z.strictObject({ at: isoTime.optional(), commit: z.string().regex(/^[0-9a-f]{7,64}$/, 'expected a commit id').optional() });

/** Kustomize rendering of environments with render: kustomize | auto. */
@ApiTags('git')
@Controller('api/v1')
export class RendersController {
  constructor(private readonly query: GitQueryService) {}

  @Get('environments/:env/renders')
  @ApiOperation({
    summary:
      'Rendered entries of an environment at a time (at) or a commit (commit), now when neither is given: each entry directory, its renderer, the commit where it was last rendered, its object count and the problems of that render (file, field, message)',
  })
  @ApiQuery({ name: 'at', required: false, description: 'ISO time' })
  @ApiQuery({ name: 'commit', required: false })
  @ApiOkResponse({ type: EnvironmentRendersDto })
  renders(@Param('env') env: string, @Query(new ZodPipe(rendersQuery)) q: z.output<typeof rendersQuery>) {
    return this.query.renders(env, q);
  }
}
