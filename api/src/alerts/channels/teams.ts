import { AlertMessage, describeCounts, itemHeadline, itemWhen, MessageItem, MessageSection, objectLabel, STATE_LABEL } from '../message';
import { andMore, byteLength, ChatChannel, fitItemCounts, hiddenCount, truncate } from './channel';

/**
 * Microsoft Teams through a Workflows ("When a Teams webhook request is
 * received") webhook: a message activity whose one attachment is an Adaptive
 * Card (`contentType: application/vnd.microsoft.card.adaptive`). Workflows
 * accept Adaptive Cards only (not the old MessageCard). Teams caps a message at
 * about 28 KB, so the card is kept under 24 KB. Card version 1.4 renders in
 * every Teams client.
 */
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const ADAPTIVE_CARD_VERSION = '1.4';
const MAX_BYTES = 24_000;
const ITEM_TEXT = 1000;

type Element = Record<string, unknown>;

const text = (t: string, extra: Element = {}): Element => ({ type: 'TextBlock', text: t, wrap: true, ...extra });

function itemContainer(i: MessageItem, generatedAt: string): Element {
  const items: Element[] = [text(truncate(`**${STATE_LABEL[i.state]}** ${objectLabel(i)} — ${itemHeadline(i)}`, ITEM_TEXT))];
  if (i.diff.length && i.state !== 'resolved') items.push(text(truncate(i.diff.join('\n\n'), ITEM_TEXT), { fontType: 'Monospace', size: 'Small', spacing: 'None' }));
  items.push(text(itemWhen(i, generatedAt), { isSubtle: true, size: 'Small', spacing: 'None' }));
  return { type: 'Container', separator: true, items };
}

function sectionElements(s: MessageSection, n: number, generatedAt: string): Element[] {
  const out: Element[] = [
    text(s.environment, { size: 'Medium', weight: 'Bolder', separator: true }),
    {
      type: 'FactSet',
      facts: [
        { title: 'New', value: describeCounts(s.counts.new) },
        { title: 'Persisting', value: describeCounts(s.counts.persisting) },
        { title: 'Resolved', value: describeCounts(s.counts.resolved) },
      ],
    },
  ];
  for (const item of s.items.slice(0, n)) out.push(itemContainer(item, generatedAt));
  const more = hiddenCount(s, n);
  if (more > 0) out.push(text(andMore(more, more === 1 ? 'object' : 'objects'), { isSubtle: true }));
  return out;
}

function payload(m: AlertMessage, counts: number[]) {
  const body: Element[] = [text(m.title, { size: 'Large', weight: 'Bolder' })];
  m.sections.forEach((s, i) => body.push(...sectionElements(s, counts[i]!, m.generatedAt)));
  body.push(text(`Driftline${m.rule ? ` · rule ${m.rule}` : ''} · ${m.generatedAt}`, { isSubtle: true, size: 'Small' }));
  const actions = m.sections
    .filter((s) => s.link)
    .slice(0, 5)
    .map((s) => ({ type: 'Action.OpenUrl', title: `Open ${s.environment} drift`, url: s.link }));
  const card: Element = { $schema: ADAPTIVE_CARD_SCHEMA, type: 'AdaptiveCard', version: ADAPTIVE_CARD_VERSION, body, msteams: { width: 'Full' } };
  if (actions.length) card.actions = actions;
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

export const teamsChannel: ChatChannel = {
  type: 'teams',
  limits: { documented: { messageBytes: 28_000 }, maxBodyBytes: MAX_BYTES },
  render(m) {
    const counts = fitItemCounts(m.sections, 50, (c) => byteLength(JSON.stringify(payload(m, c))) <= MAX_BYTES);
    return { body: JSON.stringify(payload(m, counts)), headers: {} };
  },
};
