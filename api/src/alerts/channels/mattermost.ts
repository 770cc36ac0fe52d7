import { AlertMessage, describeCounts, itemHeadline, itemWhen, MessageItem, MessageSection, objectLabel, STATE_LABEL } from '../message';
import { andMore, charLength, ChatChannel, fitItemCounts, hiddenCount, KIND_COLOR, truncate } from './channel';

/**
 * Mattermost incoming webhook: `{ username, text, attachments }` with
 * Slack-compatible message attachments (`fallback` is required; `text` and
 * field values are Markdown). A post's message may hold 16,383 characters on
 * Mattermost 5+ (4,000 before); older servers also refuse attachments longer
 * than 7,900 characters in total. The renderer keeps `text` under 4,000 and the
 * attachments under 7,500 characters so every supported server accepts it.
 */
const MAX_TEXT = 4000;
const MAX_ATTACHMENT_CHARS = 7500;
const ITEM_TEXT = 800;

/** Markdown inline code cannot hold a backtick; swap it. */
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';
/** Attachment text supports @mentions: a value like "@channel" must not notify anyone. */
const noMentions = (s: string) => s.replace(/@(?=[\w.-])/g, '@\u200b');

function itemMarkdown(i: MessageItem, generatedAt: string): string {
  const lines = [`- **${STATE_LABEL[i.state]}** ${code(objectLabel(i))} — ${itemHeadline(i)}`];
  if (i.diff.length && i.state !== 'resolved') for (const d of i.diff) lines.push(`  - ${code(d)}`);
  lines.push(`  _${itemWhen(i, generatedAt)}_`);
  return truncate(noMentions(lines.join('\n')), ITEM_TEXT);
}

function attachment(m: AlertMessage, s: MessageSection, n: number) {
  const items = s.items.slice(0, n).map((i) => itemMarkdown(i, m.generatedAt));
  const more = hiddenCount(s, n);
  if (more > 0) items.push(`_${andMore(more, more === 1 ? 'object' : 'objects')}_`);
  const a: Record<string, unknown> = {
    fallback: `${m.title} — ${s.environment}: new ${s.counts.new.total}, persisting ${s.counts.persisting.total}, resolved ${s.counts.resolved.total}`,
    color: KIND_COLOR[m.kind],
    title: `Environment ${s.environment}`,
    text: items.join('\n'),
    fields: [
      { short: true, title: 'New', value: describeCounts(s.counts.new) },
      { short: true, title: 'Persisting', value: describeCounts(s.counts.persisting) },
      { short: true, title: 'Resolved', value: describeCounts(s.counts.resolved) },
    ],
    footer: `Driftline${m.rule ? ` · rule ${m.rule}` : ''}`,
  };
  if (s.link) a.title_link = s.link;
  return a;
}

/** Characters Mattermost counts for attachments: every text-bearing field. */
function attachmentChars(atts: Record<string, unknown>[]): number {
  let n = 0;
  for (const a of atts) {
    for (const k of ['fallback', 'title', 'text', 'footer', 'pretext']) if (typeof a[k] === 'string') n += charLength(a[k] as string);
    for (const f of (a.fields as { title: string; value: string }[]) ?? []) n += charLength(f.title) + charLength(f.value);
  }
  return n;
}

function payload(m: AlertMessage, counts: number[]) {
  const links = m.sections.filter((s) => s.link).map((s) => `[${s.environment}](${s.link})`);
  const text = truncate(`#### ${m.title}${links.length ? `\nOpen in Driftline: ${links.join(' · ')}` : ''}`, MAX_TEXT);
  return { username: 'Driftline', text, attachments: m.sections.map((s, i) => attachment(m, s, counts[i]!)) };
}

export const mattermostChannel: ChatChannel = {
  type: 'mattermost',
  limits: { documented: { messageChars: 16_383, legacyMessageChars: 4_000, legacyAttachmentChars: 7_900 }, maxBodyBytes: 64_000 },
  render(m) {
    const counts = fitItemCounts(m.sections, 50, (c) => attachmentChars(payload(m, c).attachments) <= MAX_ATTACHMENT_CHARS);
    return { body: JSON.stringify(payload(m, counts)), headers: {} };
  },
};
