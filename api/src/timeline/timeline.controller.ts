import { Controller, Get, Param, Query, Sse, MessageEvent } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { z } from 'zod';
import { ZodPipe, isoTime, shortText, cursor } from '../common/zod';
import { Lane, TimelineService } from './timeline.service';
import { TimelinePageDto } from './timeline.dto';

const lanes = z
  .string()
  .max(32)
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(z.enum(['git', 'live', 'drift'])));
const filters = {
  kind: shortText.optional(),
  namespace: shortText.optional(),
  name: shortText.optional(),
  author: shortText.optional(),
  manager: shortText.optional(),
  change: z.enum(['created', 'configured', 'deleted']).optional(),
  lanes: lanes.optional(),
};
const windowQuery = z.strictObject({ from: isoTime, to: isoTime, cursor, limit: z.coerce.number().int().min(1).max(10_000).default(2000), ...filters });
const streamQuery = z.strictObject(filters);

@ApiTags('timeline')
@Controller('api/v1/environments/:env/timeline')
export class TimelineController {
  constructor(private readonly timeline: TimelineService) {}

  @Get()
  @ApiOperation({ summary: 'Git, live and drift events of an environment in a window, newest first, with all a view needs to render them' })
  @ApiQuery({ name: 'from', description: 'ISO time' })
  @ApiQuery({ name: 'to', description: 'ISO time' })
  @ApiQuery({ name: 'lanes', required: false, description: 'comma-separated: git,live,drift' })
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'namespace', required: false })
  @ApiQuery({ name: 'name', required: false, description: 'part of the object name' })
  @ApiQuery({ name: 'author', required: false, description: 'commit author (Git lane)' })
  @ApiQuery({ name: 'manager', required: false, description: 'field manager (live lane)' })
  @ApiQuery({ name: 'change', required: false, enum: ['created', 'configured', 'deleted'] })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ type: TimelinePageDto })
  window(@Param('env') env: string, @Query(new ZodPipe(windowQuery)) q: z.output<typeof windowQuery>) {
    return this.timeline.window(env, { ...q, lanes: q.lanes as Lane[] | undefined });
  }

  @Sse('stream')
  @ApiOperation({ summary: 'Server-sent events: each new timeline event of the environment as it is recorded (same filters)' })
  @ApiProduces('text/event-stream')
  stream(@Param('env') env: string, @Query(new ZodPipe(streamQuery)) q: z.output<typeof streamQuery>): Observable<MessageEvent> {
    return new Observable<MessageEvent>((sub) => {
      let stopped = false;
      let timer: NodeJS.Timeout | null = null;
      let ticks = 0;
      void (async () => {
        try {
          let after = await this.timeline.heads(env);
          sub.next({ type: 'ready', data: { environment: env } });
          const poll = async () => {
            if (stopped) return;
            try {
              const events = await this.timeline.since(env, after, { ...q, lanes: q.lanes as Lane[] | undefined });
              for (const e of events) {
                sub.next({ type: 'event', id: e.key, data: e });
                const id = Number(e.key.slice(1));
                if (e.key[0] === 'g') after = { ...after, desired: Math.max(after.desired, id) };
                else if (e.key[0] === 'l') after = { ...after, live: Math.max(after.live, id) };
                else after = { ...after, drift: Math.max(after.drift, id) };
              }
              if (++ticks % 15 === 0) sub.next({ type: 'ping', data: { at: new Date().toISOString() } });
            } catch (e) {
              sub.next({ type: 'error', data: { message: (e as Error).message } });
            }
            if (!stopped) timer = setTimeout(poll, 1000);
          };
          timer = setTimeout(poll, 1000);
        } catch (e) {
          sub.error(e);
        }
      })();
      return () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
    });
  }
}
