import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { LOGGER } from '../config/config.tokens';
import { DomainError } from '../common/errors';
import { GitIndexService } from './git-index.service';

/** Verifies GitHub / GitLab push webhooks and starts an index run at once. */
@Injectable()
export class GitWebhookService {
  constructor(
    private readonly indexer: GitIndexService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  receive(name: string, raw: Buffer, headers: Record<string, string | undefined>): { repository: string; status: string; ref?: string } {
    const repo = this.indexer.repository(name);
    const secret = repo.webhookSecret;
    if (!secret) throw new DomainError('webhook.not_configured', `repository "${name}" has no webhookSecret configured`, 403);
    const gh = headers['x-hub-signature-256'];
    const gl = headers['x-gitlab-token'];
    if (gh) {
      const expected = 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
      if (!safeEqual(gh, expected)) throw new DomainError('webhook.bad_signature', 'the X-Hub-Signature-256 signature does not match', 401);
    } else if (gl) {
      if (!safeEqual(gl, secret)) throw new DomainError('webhook.bad_token', 'the X-Gitlab-Token does not match', 401);
    } else {
      throw new DomainError('webhook.unsigned', 'expected an X-Hub-Signature-256 (GitHub) or X-Gitlab-Token (GitLab) header', 401);
    }
    let ref: string | undefined;
    try {
      ref = (JSON.parse(raw.toString('utf8')) as { ref?: string }).ref;
    } catch {
      throw new DomainError('webhook.bad_payload', 'the webhook body is not JSON', 400);
    }
    if (ref && ref !== `refs/heads/${repo.branch}`) return { repository: name, status: 'ignored', ref };
    void this.indexer.index(name, { fetch: true }).catch((e: Error) => this.logger.error({ repository: name, err: e.message }, 'webhook-triggered index failed'));
    return { repository: name, status: 'queued', ref };
  }
}

/** Constant-time comparison (length leaks nothing useful: both sides are fixed-format). */
function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
