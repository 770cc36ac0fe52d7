import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError } from './errors';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  requestId?: string;
  [extra: string]: unknown;
}

/** Maps every error to RFC 9457 application/problem+json with the request id; unknown errors are logged as 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.send(exception, ctx.getRequest<Request>(), ctx.getResponse<Response>());
  }

  /** The answer for an error, also for Express middleware that Nest's filters do not cover. */
  send(exception: unknown, req: Request, res: Response): void {
    const id = (req as { id?: unknown }).id;
    const requestId = typeof id === 'string' ? id : undefined;
    const problem = this.toProblem(exception, req.originalUrl ?? req.url);
    if (requestId) problem.requestId = requestId;
    if (problem.status >= 500) this.log.error({ err: exception, requestId, path: req.url }, 'unhandled error');
    if (res.headersSent) return void res.end();
    if (problem.status === 429 && typeof problem.retryAfter === 'number') res.setHeader('Retry-After', String(problem.retryAfter));
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(e: unknown, instance: string): Problem {
    if (e instanceof DomainError) {
      return { type: `https://driftline.dev/problems/${e.code}`, title: titleFor(e.status), status: e.status, detail: e.message, code: e.code, instance, ...(e.details ?? {}) };
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const body = e.getResponse();
      const detail = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? e.message);
      return { type: 'about:blank', title: titleFor(status), status, detail: Array.isArray(detail) ? detail.join('; ') : String(detail), code: `http.${status}`, instance };
    }
    if (e && typeof e === 'object' && (e as { type?: string }).type === 'entity.too.large') {
      return { type: 'about:blank', title: titleFor(413), status: 413, detail: 'request body too large', code: 'http.413', instance };
    }
    if (e && typeof e === 'object' && (e as { type?: string }).type === 'entity.parse.failed') {
      return { type: 'about:blank', title: titleFor(400), status: 400, detail: 'request body is not valid JSON', code: 'http.400', instance };
    }
    return { type: 'about:blank', title: titleFor(500), status: 500, detail: 'internal error; the request id identifies it in the logs', code: 'internal', instance };
  }
}

function titleFor(status: number): string {
  return (HttpStatus as unknown as Record<number, string>)[status]?.toLowerCase().replace(/_/g, ' ') ?? 'error';
}
