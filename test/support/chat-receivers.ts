import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { webhookPayloadV1Schema, verifySignature } from '../../api/src/alerts/channels/webhook';

/**
 * Real HTTP receivers for chat webhooks on 127.0.0.1, one per provider format.
 * Each validates what it receives against the provider's documented payload
 * structure and limits, answers like the provider (400 on a payload the
 * provider would reject), and can be scripted to fail, rate-limit or hang.
 */

export type ReceiverFormat = 'slack' | 'teams' | 'googlechat' | 'mattermost' | 'discord' | 'webhook';

export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { hang: true };

export interface ReceivedRequest {
  /** Date.now() when the request body had arrived. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: unknown;
  /** Where the payload breaks the provider's documented structure or limits (empty when valid). */
  problems: string[];
  idempotencyKey: string | null;
  /** What the receiver answered (null: it hung). */
  status: number | null;
  /** Same Idempotency-Key as an earlier accepted request. */
  duplicate: boolean;
}

const len = (s: string) => Array.from(s).length;
const maxChars = (n: number) => z.string().refine((s) => len(s) <= n, { message: `longer than ${n} characters` });
const nonEmpty = (n: number) => z.string().min(1).refine((s) => len(s) <= n, { message: `longer than ${n} characters` });
const url = z.string().regex(/^https?:\/\//, 'expected an http(s) URL');

// ── Slack Block Kit (incoming webhook) ──────────────────────────────────────
const slackText = (max: number) => z.strictObject({ type: z.enum(['mrkdwn', 'plain_text']), text: nonEmpty(max), emoji: z.boolean().optional(), verbatim: z.boolean().optional() });
const slackPlain = (max: number) => z.strictObject({ type: z.literal('plain_text'), text: nonEmpty(max), emoji: z.boolean().optional() });
const slackBlock = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: slackPlain(150), block_id: maxChars(255).optional() }),
  z.strictObject({ type: z.literal('section'), text: slackText(3000).optional(), fields: z.array(slackText(2000)).max(10).optional(), block_id: maxChars(255).optional() }).refine((b) => b.text || b.fields, 'a section needs text or fields'),
  z.strictObject({ type: z.literal('divider'), block_id: maxChars(255).optional() }),
  z.strictObject({ type: z.literal('context'), elements: z.array(slackText(3000)).min(1).max(10), block_id: maxChars(255).optional() }),
  z.strictObject({
    type: z.literal('actions'),
    elements: z.array(z.strictObject({ type: z.literal('button'), text: slackPlain(75), url: url.refine((u) => u.length <= 3000).optional(), action_id: maxChars(255).optional(), value: maxChars(2000).optional() })).min(1).max(25),
    block_id: maxChars(255).optional(),
  }),
]);
export const slackPayload = z
  .strictObject({ text: maxChars(40_000).optional(), blocks: z.array(slackBlock).min(1).max(50).optional() })
  .refine((p) => p.text || p.blocks, 'a message needs text or blocks');

// ── Microsoft Teams Workflows webhook: Adaptive Card in an attachments envelope ──
type AcElement = { type: string; [k: string]: unknown };
const acTextBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string().min(1),
  wrap: z.boolean().optional(),
  size: z.enum(['Small', 'Default', 'Medium', 'Large', 'ExtraLarge']).optional(),
  weight: z.enum(['Lighter', 'Default', 'Bolder']).optional(),
  isSubtle: z.boolean().optional(),
  fontType: z.enum(['Default', 'Monospace']).optional(),
  spacing: z.enum(['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding']).optional(),
  separator: z.boolean().optional(),
  color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional(),
});
const acFactSet = z.strictObject({ type: z.literal('FactSet'), facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1), separator: z.boolean().optional(), spacing: z.string().optional() });
const acElement: z.ZodType<AcElement> = z.lazy(() =>
  z.union([
    acTextBlock,
    acFactSet,
    z.strictObject({ type: z.literal('Container'), items: z.array(acElement).min(1), separator: z.boolean().optional(), spacing: z.string().optional(), style: z.string().optional() }),
  ]),
) as z.ZodType<AcElement>;
const acAction = z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url });
export const adaptiveCard = z.strictObject({
  $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json'),
  type: z.literal('AdaptiveCard'),
  version: z.string().regex(/^1\.[0-6]$/, 'expected an Adaptive Card version 1.0–1.6'),
  body: z.array(acElement).min(1),
  actions: z.array(acAction).max(6).optional(),
  msteams: z.strictObject({ width: z.literal('Full') }).optional(),
});
export const teamsPayload = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(z.strictObject({ contentType: z.literal('application/vnd.microsoft.card.adaptive'), contentUrl: z.string().nullable().optional(), content: adaptiveCard }))
    .min(1),
});

// ── Google Chat incoming webhook: cardsV2 ───────────────────────────────────
const gcWidget = z.union([
  z.strictObject({ textParagraph: z.strictObject({ text: z.string().min(1) }) }),
  z.strictObject({ decoratedText: z.strictObject({ text: z.string().min(1), topLabel: z.string().optional(), bottomLabel: z.string().optional(), wrapText: z.boolean().optional() }) }),
  z.strictObject({ buttonList: z.strictObject({ buttons: z.array(z.strictObject({ text: z.string().min(1), onClick: z.strictObject({ openLink: z.strictObject({ url }) }) })).min(1) }) }),
  z.strictObject({ divider: z.strictObject({}) }),
]);
export const googleChatPayload = z
  .strictObject({
    text: z.string().optional(),
    fallbackText: z.string().optional(),
    cardsV2: z
      .array(
        z.strictObject({
          cardId: z.string().min(1),
          card: z.strictObject({
            header: z.strictObject({ title: z.string().min(1), subtitle: z.string().optional() }).optional(),
            sections: z.array(z.strictObject({ header: z.string().optional(), collapsible: z.boolean().optional(), widgets: z.array(gcWidget).min(1) })).min(1),
          }),
        }),
      )
      .min(1)
      .optional(),
  })
  .refine((p) => p.text || p.cardsV2, 'a message needs text or cardsV2')
  .refine((p) => (p.cardsV2 ?? []).every((c) => c.card.sections.reduce((n, s) => n + s.widgets.length, 0) <= 100), 'a card holds at most 100 widgets');

// ── Mattermost incoming webhook ─────────────────────────────────────────────
export const mattermostPayload = z
  .strictObject({
    text: maxChars(16_383).optional(),
    username: z.string().optional(),
    icon_url: z.string().optional(),
    channel: z.string().optional(),
    attachments: z
      .array(
        z.strictObject({
          fallback: z.string().min(1),
          color: z.string().regex(/^#[0-9a-fA-F]{6}$/).optional(),
          pretext: z.string().optional(),
          text: z.string().optional(),
          author_name: z.string().optional(),
          title: z.string().optional(),
          title_link: url.optional(),
          fields: z.array(z.strictObject({ short: z.boolean().optional(), title: z.string(), value: z.string() })).optional(),
          footer: z.string().optional(),
        }),
      )
      .optional(),
  })
  .refine((p) => p.text || p.attachments?.length, 'a post needs text or attachments');

// ── Discord execute webhook with embeds ─────────────────────────────────────
const discordEmbed = z.strictObject({
  title: maxChars(256).optional(),
  description: maxChars(4096).optional(),
  url: url.optional(),
  color: z.number().int().min(0).max(0xffffff).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  fields: z.array(z.strictObject({ name: nonEmpty(256), value: nonEmpty(1024), inline: z.boolean().optional() })).max(25).optional(),
  footer: z.strictObject({ text: maxChars(2048) }).optional(),
  author: z.strictObject({ name: maxChars(256) }).optional(),
});
export const discordPayload = z
  .strictObject({
    content: maxChars(2000).optional(),
    username: maxChars(80).optional(),
    embeds: z.array(discordEmbed).max(10).optional(),
    allowed_mentions: z.strictObject({ parse: z.array(z.enum(['roles', 'users', 'everyone'])) }).optional(),
  })
  .refine((p) => p.content || p.embeds?.length, 'a message needs content or embeds')
  .refine(
    (p) =>
      (p.embeds ?? []).reduce(
        (n, e) => n + len(e.title ?? '') + len(e.description ?? '') + len(e.footer?.text ?? '') + len(e.author?.name ?? '') + (e.fields ?? []).reduce((m, f) => m + len(f.name) + len(f.value), 0),
        0,
      ) <= 6000,
    'embeds hold at most 6000 characters in total',
  );

const SIZE_LIMIT: Partial<Record<ReceiverFormat, number>> = { teams: 28_000, googlechat: 32_000 };

function problemsOf(format: ReceiverFormat, raw: string, headers: IncomingHttpHeaders, secret?: string): { body: unknown; problems: string[] } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { body: null, problems: ['body is not JSON'] };
  }
  const problems: string[] = [];
  if (!String(headers['content-type'] ?? '').startsWith('application/json')) problems.push('Content-Type is not application/json');
  const limit = SIZE_LIMIT[format];
  if (limit && Buffer.byteLength(raw) > limit) problems.push(`payload is ${Buffer.byteLength(raw)} bytes, over ${limit}`);
  const schema = { slack: slackPayload, teams: teamsPayload, googlechat: googleChatPayload, mattermost: mattermostPayload, discord: discordPayload, webhook: webhookPayloadV1Schema }[format];
  const r = schema.safeParse(body);
  if (!r.success) problems.push(...r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  if (format === 'webhook') {
    if (!headers['idempotency-key']) problems.push('no Idempotency-Key header');
    if (secret && !verifySignature(raw, secret, headers['x-driftline-signature'] as string | undefined)) problems.push('X-Driftline-Signature does not verify');
  }
  return { body, problems };
}

const DEFAULT_REPLY: Record<ReceiverFormat, Reply> = {
  slack: { status: 200, body: 'ok' },
  teams: { status: 202, body: '' },
  googlechat: { status: 200, body: '{}' },
  mattermost: { status: 200, body: 'ok' },
  discord: { status: 204 },
  webhook: { status: 200, body: '{"ok":true}' },
};

export class ChatReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly replies: Reply[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly hung = new Set<ServerResponse>();
  private constructor(
    readonly format: ReceiverFormat,
    private readonly server: Server,
    /** A secret path segment, as real webhook URLs carry (the API must never show it). */
    readonly token: string,
    readonly url: string,
    readonly secret?: string,
  ) {}

  static async start(format: ReceiverFormat, o: { secret?: string } = {}): Promise<ChatReceiver> {
    let self!: ChatReceiver;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const token = randomBytes(12).toString('hex');
    self = new ChatReceiver(format, server, token, `http://127.0.0.1:${port}/hooks/${format}/${token}`, o.secret);
    return self;
  }

  /** Script the next answers, in order; after them the provider's usual success. */
  reply(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** Requests answered 2xx, each Idempotency-Key counted once: the messages a channel would show. */
  get messages(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status !== null && r.status < 300 && !r.duplicate);
  }

  get problems(): string[] {
    return this.requests.flatMap((r) => r.problems);
  }

  private handle(method: string, path: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    const { body, problems } = problemsOf(this.format, raw, headers, this.secret);
    const idempotencyKey = (headers['idempotency-key'] as string | undefined) ?? null;
    const rec: ReceivedRequest = { at: Date.now(), method, path, headers, raw, body, problems, idempotencyKey, status: null, duplicate: false };
    this.requests.push(rec);
    const reply: Reply = !path.endsWith(this.token)
      ? { status: 404, body: 'no such hook' }
      : (this.replies.shift() ?? (problems.length ? { status: 400, body: JSON.stringify({ problems }) } : DEFAULT_REPLY[this.format]));
    if ('hang' in reply) {
      this.hung.add(res);
    } else {
      rec.status = reply.status;
      rec.duplicate = reply.status < 300 && idempotencyKey !== null && this.requests.some((r) => r !== rec && r.idempotencyKey === idempotencyKey && r.status !== null && r.status < 300);
      res.writeHead(reply.status, { 'Content-Type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until `n` requests arrived (any answer). */
  async waitForRequests(n: number, timeoutMs = 15_000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.format} receiver: ${this.requests.length} of ${n} requests after ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
    return this.requests;
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** One receiver per provider format. */
export async function startReceivers(o: { secret?: string } = {}): Promise<Record<ReceiverFormat, ChatReceiver>> {
  const formats: ReceiverFormat[] = ['slack', 'teams', 'googlechat', 'mattermost', 'discord', 'webhook'];
  const list = await Promise.all(formats.map((f) => ChatReceiver.start(f, f === 'webhook' ? o : {})));
  return Object.fromEntries(list.map((r) => [r.format, r])) as Record<ReceiverFormat, ChatReceiver>;
}
