import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe, cursor, pageLimit, shortText } from '../common/zod';
import { ClusterQueryService } from './cluster-query.service';
import { ClusterStatusDto, LiveObjectPageDto, ObjectHistoryDto } from './cluster.dto';

const objectsQuery = z.strictObject({
  cluster: shortText.optional(),
  group: shortText.optional(),
  kind: shortText.optional(),
  namespace: shortText.optional(),
  name: shortText.optional(),
  cursor,
  limit: pageLimit,
});
const historyQuery = z.strictObject({ cluster: shortText.optional(), cursor, limit: pageLimit });
const objectId = z.coerce.number({ error: 'expected an object id' }).int('expected an object id').positive('expected an object id');

@ApiTags('clusters')
@Controller('api/v1')
export class ClusterController {
  constructor(private readonly query: ClusterQueryService) {}

  @Get('clusters')
  @ApiOperation({ summary: 'Clusters: connected or not, kinds watched, last event, lag, open gaps' })
  @ApiOkResponse({ type: [ClusterStatusDto] })
  clusters() {
    return this.query.clusters();
  }

  @Get('objects')
  @ApiOperation({ summary: 'Objects live in the clusters now, by kind, namespace and name, paged with a cursor' })
  @ApiQuery({ name: 'cluster', required: false })
  @ApiQuery({ name: 'group', required: false, description: "API group ('' = core)" })
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'namespace', required: false, description: "'' for cluster-scoped objects" })
  @ApiQuery({ name: 'name', required: false, description: 'exact, or a glob with *' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: LiveObjectPageDto })
  objects(@Query(new ZodPipe(objectsQuery)) q: z.output<typeof objectsQuery>) {
    return this.query.objects(q);
  }

  @Get('objects/:id/history')
  @ApiOperation({ summary: "An object's live revisions, newest first: manager, operation, time, change, and a unified YAML diff from the revision before" })
  @ApiParam({ name: 'id', type: Number })
  @ApiQuery({ name: 'cluster', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: ObjectHistoryDto })
  history(@Param('id', new ZodPipe(objectId)) id: number, @Query(new ZodPipe(historyQuery)) q: z.output<typeof historyQuery>) {
    return this.query.history(id, q);
  }
}
