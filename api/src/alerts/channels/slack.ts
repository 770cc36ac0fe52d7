import { AlertMessage, describeCounts, itemHeadline, itemWhen, MessageItem, MessageSection, objectLabel, STATE_LABEL } from '../message';
import { andMore, ChatChannel, fitItemCounts, hiddenCount, truncate } from './channel';

/**
 * Slack incoming webhook with Block Kit: `{ text, blocks }`. `text` is the
 * notification fallback. Limits (Slack Block Kit reference): at most 50 blocks
 * per message, a section's text at most 3000 characters, a header's plain text
 * at most 150, a context block at most 10 elements, a button's text at most 75.
 */
const MAX_BLOCKS = 50;
const SECTION_TEXT = 3000;
const HEADER_TEXT = 150;
const BUTTON_TEXT = 75;
/** Items get a section each; keep each one short so a message stays readable. */
const ITEM_TEXT = 1000;

/** Slack mrkdwn needs &, < and > escaped. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function itemText(i: MessageItem, generatedAt: string): string {
  const lines = [`*${STATE_LABEL[i.state]}* \`${escapeMrkdwn(objectLabel(i))}\` — ${escapeMrkdwn(itemHeadline(i))}`];
  if (i.diff.length && i.state !== 'resolved') lines.push('```' + escapeMrkdwn(i.diff.join('\n')) + '```');
  lines.push(`_${escapeMrkdwn(itemWhen(i, generatedAt))}_`);
  return truncate(lines.join('\n'), ITEM_TEXT);
}

function sectionHead(s: MessageSection): string {
  const env = s.link ? `<${s.link}|${escapeMrkdwn(s.environment)}>` : `*${escapeMrkdwn(s.environment)}*`;
  return truncate(
    `*Environment:* ${env}\n*New:* ${describeCounts(s.counts.new)}   *Persisting:* ${describeCounts(s.counts.persisting)}   *Resolved:* ${describeCounts(s.counts.resolved)}`,
    SECTION_TEXT,
  );
}

type Block = Record<string, unknown>;

function blocksFor(m: AlertMessage, counts: number[]): Block[] {
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(m.title, HEADER_TEXT), emoji: true } }];
  m.sections.forEach((s, si) => {
    if (si > 0) blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: sectionHead(s) } });
    const n = counts[si]!;
    for (const item of s.items.slice(0, n)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: itemText(item, m.generatedAt) } });
    const more = hiddenCount(s, n);
    if (more > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: andMore(more, more === 1 ? 'object' : 'objects') }] });
    if (s.link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: truncate(`Open ${s.environment} drift`, BUTTON_TEXT) }, url: s.link }] });
  });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`Driftline${m.rule ? ` · rule ${m.rule}` : ''} · ${m.generatedAt}`) }] });
  return blocks;
}

export const slackChannel: ChatChannel = {
  type: 'slack',
  limits: { documented: { blocks: MAX_BLOCKS, sectionText: SECTION_TEXT, headerText: HEADER_TEXT, contextElements: 10 }, maxBodyBytes: 60_000 },
  render(m) {
    const counts = fitItemCounts(m.sections, 50, (c) => blocksFor(m, c).length <= MAX_BLOCKS);
    let blocks = blocksFor(m, counts);
    if (blocks.length > MAX_BLOCKS) blocks = blocks.slice(0, MAX_BLOCKS); // many environments in a digest: never over the limit
    return { body: JSON.stringify({ text: truncate(m.title, SECTION_TEXT), blocks }), headers: {} };
  },
};
