import { AlertMessage, describeCounts, itemHeadline, itemWhen, MessageItem, MessageSection, objectLabel, STATE_LABEL } from '../message';
import { andMore, byteLength, ChatChannel, fitItemCounts, hiddenCount, truncate } from './channel';

/**
 * Google Chat incoming webhook with a Cards v2 card:
 * `{ fallbackText, cardsV2: [{ cardId, card: { header, sections: [{ header, widgets }] } }] }`.
 * Limits (Chat API reference): a message (text and cards) at most 32,000 bytes,
 * a card at most 100 widgets. Card text takes a small HTML subset (<b>, <i>,
 * <br>, <a href>, <font color>), so text is HTML-escaped.
 */
const MAX_BYTES = 30_000;
const MAX_WIDGETS = 100;
const ITEM_TEXT = 1200;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type Widget = Record<string, unknown>;

function itemWidget(i: MessageItem, generatedAt: string): Widget {
  const lines = [`<b>${STATE_LABEL[i.state]}</b> ${escapeHtml(objectLabel(i))} — ${escapeHtml(itemHeadline(i))}`];
  if (i.diff.length && i.state !== 'resolved') lines.push(...i.diff.map((d) => `<font color="#555555">${escapeHtml(d)}</font>`));
  lines.push(`<i>${escapeHtml(itemWhen(i, generatedAt))}</i>`);
  return { textParagraph: { text: truncate(lines.join('<br>'), ITEM_TEXT) } };
}

function section(s: MessageSection, n: number, generatedAt: string): { header: string; widgets: Widget[] } {
  const widgets: Widget[] = [
    { decoratedText: { topLabel: 'New', text: escapeHtml(describeCounts(s.counts.new)) } },
    { decoratedText: { topLabel: 'Persisting', text: escapeHtml(describeCounts(s.counts.persisting)) } },
    { decoratedText: { topLabel: 'Resolved', text: escapeHtml(describeCounts(s.counts.resolved)) } },
  ];
  for (const item of s.items.slice(0, n)) widgets.push(itemWidget(item, generatedAt));
  const more = hiddenCount(s, n);
  if (more > 0) widgets.push({ textParagraph: { text: escapeHtml(andMore(more, more === 1 ? 'object' : 'objects')) } });
  if (s.link) widgets.push({ buttonList: { buttons: [{ text: `Open ${s.environment} drift`, onClick: { openLink: { url: s.link } } }] } });
  return { header: escapeHtml(s.environment), widgets };
}

function payload(m: AlertMessage, counts: number[]) {
  const sections = m.sections.map((s, i) => section(s, counts[i]!, m.generatedAt));
  return {
    fallbackText: m.title,
    cardsV2: [
      {
        cardId: `driftline-${m.id}`.slice(0, 64),
        card: {
          header: { title: truncate(m.title, 200), subtitle: `Driftline${m.rule ? ` · rule ${m.rule}` : ''}` },
          sections,
        },
      },
    ],
  };
}

const widgetCount = (p: ReturnType<typeof payload>) => p.cardsV2[0]!.card.sections.reduce((n, s) => n + s.widgets.length, 0);

export const googleChatChannel: ChatChannel = {
  type: 'googlechat',
  limits: { documented: { messageBytes: 32_000, widgetsPerCard: MAX_WIDGETS }, maxBodyBytes: MAX_BYTES },
  render(m) {
    const counts = fitItemCounts(m.sections, 50, (c) => {
      const p = payload(m, c);
      return widgetCount(p) <= MAX_WIDGETS && byteLength(JSON.stringify(p)) <= MAX_BYTES;
    });
    return { body: JSON.stringify(payload(m, counts)), headers: {} };
  },
};
