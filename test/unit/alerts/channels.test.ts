import { describe, expect, it } from 'vitest';
import { CHANNELS, ChannelType } from '../../../api/src/alerts/channels';
import { embedChars, DISCORD_LIMITS } from '../../../api/src/alerts/channels/discord';
import { signBody, verifySignature } from '../../../api/src/alerts/channels/webhook';
import type { AlertMessage, MessageItem, MessageSection } from '../../../api/src/alerts/message';
import { discordPayload, googleChatPayload, mattermostPayload, slackPayload, teamsPayload } from '../../support/chat-receivers';
import { webhookPayloadV1Schema } from '../../../api/src/alerts/channels/webhook';

const SCHEMAS = { slack: slackPayload, teams: teamsPayload, googlechat: googleChatPayload, mattermost: mattermostPayload, discord: discordPayload, webhook: webhookPayloadV1Schema };
const TYPES = Object.keys(CHANNELS) as ChannelType[];

function item(i: number, o: Partial<MessageItem> = {}): MessageItem {
  return {
    state: i % 3 === 0 ? 'persisting' : 'new',
    group: 'apps',
    kind: i % 2 ? 'Deployment' : 'StatefulSet',
    namespace: 'shop',
    name: `svc-${i}`,
    type: 'modified',
    summary: 'image changed',
    diff: ['spec.template.spec.containers[app].image: registry/app:1.0 → registry/app:hotfix'],
    since: '2026-06-01T10:00:00.000Z',
    cause: 'kubectl-edit (Update)',
    resolvedAt: null,
    resolvedBy: null,
    ...o,
  };
}

function section(env: string, n: number, omitted = 0, o: Partial<MessageItem> = {}): MessageSection {
  const items = Array.from({ length: n }, (_, i) => item(i, o));
  return {
    environment: env,
    link: `https://driftline.example.com/environments/${env}/drift`,
    counts: { new: { total: n + omitted, byKind: { Deployment: n + omitted } }, persisting: { total: 0, byKind: {} }, resolved: { total: 0, byKind: {} } },
    items,
    omitted,
  };
}

function message(sections: MessageSection[], kind: AlertMessage['kind'] = 'drift'): AlertMessage {
  return { v: 1, id: 'abc123', kind, rule: 'prod-drift', tick: '2026-06-01T12:00:00.000Z', generatedAt: '2026-06-01T12:00:05.000Z', title: 'Drift in prod: 3 new', sections };
}

const render = (t: ChannelType, m: AlertMessage) => CHANNELS[t].render(m, { channel: { name: 'c', type: t, secret: 'k' }, idempotencyKey: 'dl-1' });

/** "and N more objects" → N, summed over the payload. */
const moreCounts = (raw: string) => [...raw.matchAll(/and (\d+) more objects?/g)].map((m) => Number(m[1]));
const shownNames = (raw: string) => new Set([...raw.matchAll(/svc-(\d+)/g)].map((m) => m[1]));

describe('chat channels', () => {
  const cases: [string, AlertMessage][] = [
    ['one object', message([section('prod', 1)])],
    ['50 objects and 150 more', message([section('prod', 50, 150)])],
    ['huge texts', message([section('prod', 50, 0, { summary: 'x'.repeat(5000), name: 'n'.repeat(253), diff: Array(4).fill('y'.repeat(400)) })])],
    ['a digest over 14 environments', message(Array.from({ length: 14 }, (_, i) => section(`env-${i}`, 30, 5)), 'digest')],
    ['nothing drifted', message([section('prod', 0)], 'digest')],
  ];

  for (const [name, m] of cases) {
    it(`${name}: every provider's payload fits its documented structure and limits`, () => {
      for (const t of TYPES) {
        const { body } = render(t, m);
        const parsed = JSON.parse(body);
        const r = SCHEMAS[t].safeParse(parsed);
        expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), t).toEqual([]);
        expect(Buffer.byteLength(body), t).toBeLessThanOrEqual(CHANNELS[t].limits.maxBodyBytes);
      }
    });
  }

  it('says how many objects it left out: shown + "and N more" = all of them', () => {
    const m = message([section('prod', 50, 150)]);
    for (const t of ['slack', 'teams', 'googlechat', 'mattermost', 'discord'] as const) {
      const { body } = render(t, m);
      const shown = shownNames(body).size;
      expect(shown, t).toBeGreaterThan(0);
      expect(moreCounts(body), t).toEqual([200 - shown]);
    }
  });

  it('Discord: at most 10 embeds, 25 fields, 6000 characters in all', () => {
    const m = message(Array.from({ length: 14 }, (_, i) => section(`env-${i}`, 30, 5)), 'digest');
    const p = JSON.parse(render('discord', m).body);
    expect(p.embeds.length).toBeLessThanOrEqual(DISCORD_LIMITS.embeds);
    expect(embedChars(p.embeds)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
    expect(p.content).toMatch(/and 4 more environments/);
    expect(p.allowed_mentions).toEqual({ parse: [] });
  });

  it('Slack: at most 50 blocks, header ≤ 150, sections ≤ 3000, with a fallback text', () => {
    const p = JSON.parse(render('slack', message([section('prod', 50, 0, { summary: 'z'.repeat(4000) })])).body);
    expect(p.blocks.length).toBeLessThanOrEqual(50);
    expect(p.text).toBe('Drift in prod: 3 new');
    for (const b of p.blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('escapes what each format would read as markup', () => {
    const m = message([section('prod', 1, 0, { name: 'a<b>&c', summary: '<!channel> `x`' })]);
    expect(render('slack', m).body).toContain('a&lt;b&gt;&amp;c');
    expect(render('slack', m).body).not.toContain('<!channel>');
    expect(render('googlechat', m).body).toContain('a&lt;b&gt;&amp;c');
    expect(JSON.parse(render('mattermost', m).body).attachments[0].text).toContain('shop/a<b>&c`');
    // A live value that reads as a mention must not notify a channel.
    const ping = message([section('prod', 1, 0, { diff: ['data.note: "" → @channel look'] })]);
    expect(JSON.parse(render('mattermost', ping).body).attachments[0].text).not.toMatch(/@channel/);
    expect(JSON.parse(render('discord', ping).body).allowed_mentions).toEqual({ parse: [] });
  });

  it('renders a stored message the same way every time (retries send identical bytes)', () => {
    const m = message([section('prod', 12, 3)]);
    for (const t of TYPES) expect(render(t, m).body).toBe(render(t, structuredClone(m)).body);
  });

  it('the generic webhook: versioned document, signed with the channel secret', () => {
    const m = message([section('prod', 2)]);
    const { body, headers } = render('webhook', m);
    expect(JSON.parse(body)).toMatchObject({ v: 1, type: 'driftline.alert', id: 'abc123', kind: 'drift', rule: 'prod-drift' });
    expect(Object.keys(JSON.parse(body)).slice(0, 2)).toEqual(['v', 'type']);
    expect(headers['X-Driftline-Signature']).toBe(signBody(body, 'k'));
    expect(headers['X-Driftline-Signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(headers['X-Driftline-Event']).toBe('alert.drift');
    expect(verifySignature(body, 'k', headers['X-Driftline-Signature'])).toBe(true);
    expect(verifySignature(body + ' ', 'k', headers['X-Driftline-Signature'])).toBe(false);
    expect(verifySignature(body, 'other', headers['X-Driftline-Signature'])).toBe(false);
    const unsigned = CHANNELS.webhook.render(m, { channel: { name: 'c', type: 'webhook' }, idempotencyKey: 'dl-1' });
    expect(unsigned.headers['X-Driftline-Signature']).toBeUndefined();
  });
});

describe('the receivers reject what a provider would reject', () => {
  it('Discord: 26 fields, 11 embeds, or more than 6000 characters', () => {
    const field = { name: 'n', value: 'v' };
    expect(discordPayload.safeParse({ embeds: [{ title: 't', fields: Array(26).fill(field) }] }).success).toBe(false);
    expect(discordPayload.safeParse({ embeds: Array(11).fill({ title: 't' }) }).success).toBe(false);
    expect(discordPayload.safeParse({ embeds: [{ description: 'x'.repeat(4000) }, { description: 'x'.repeat(2001) }] }).success).toBe(false);
    expect(discordPayload.safeParse({ embeds: [{ title: 'x'.repeat(257) }] }).success).toBe(false);
    expect(discordPayload.safeParse({ embeds: [{ title: 't', fields: Array(25).fill(field) }] }).success).toBe(true);
  });

  it('Slack: 51 blocks, a 3001-character section, an unknown block type', () => {
    const sec = { type: 'section', text: { type: 'mrkdwn', text: 'x' } };
    expect(slackPayload.safeParse({ blocks: Array(51).fill(sec) }).success).toBe(false);
    expect(slackPayload.safeParse({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }).success).toBe(false);
    expect(slackPayload.safeParse({ blocks: [{ type: 'table' }] }).success).toBe(false);
    expect(slackPayload.safeParse({ blocks: Array(50).fill(sec) }).success).toBe(true);
  });

  it('Teams: a card without $schema or version, or outside the attachments envelope', () => {
    const card = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'hi' }] };
    const env = (content: unknown) => ({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] });
    expect(teamsPayload.safeParse(env(card)).success).toBe(true);
    expect(teamsPayload.safeParse(env({ ...card, $schema: undefined })).success).toBe(false);
    expect(teamsPayload.safeParse(env({ ...card, version: '2.0' })).success).toBe(false);
    expect(teamsPayload.safeParse(card).success).toBe(false);
  });

  it('Google Chat: a card without cardId, or with 101 widgets', () => {
    const w = { textParagraph: { text: 'x' } };
    expect(googleChatPayload.safeParse({ cardsV2: [{ card: { sections: [{ widgets: [w] }] } }] }).success).toBe(false);
    expect(googleChatPayload.safeParse({ cardsV2: [{ cardId: 'a', card: { sections: [{ widgets: Array(101).fill(w) }] } }] }).success).toBe(false);
  });

  it('Mattermost: an attachment without fallback', () => {
    expect(mattermostPayload.safeParse({ attachments: [{ text: 'x' }] }).success).toBe(false);
  });
});
