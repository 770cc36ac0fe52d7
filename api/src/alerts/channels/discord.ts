import { AlertMessage, describeCounts, itemHeadline, itemWhen, MessageItem, MessageSection, objectLabel, STATE_LABEL } from '../message';
import { andMore, charLength, ChatChannel, fitItemCounts, hiddenCount, KIND_COLOR, truncate } from './channel';

/**
 * Discord execute-webhook with embeds: `{ username, content, embeds, allowed_mentions }`.
 * Embed limits (Discord message resource): title 256, description 4096, at most
 * 25 fields (name 256, value 1024), footer text 2048, at most 10 embeds, and
 * 6000 characters in total over every embed's title, description, field names
 * and values, footer text and author name. `content` holds at most 2000.
 * Mentions are disabled so an object name can never ping anyone.
 */
export const DISCORD_LIMITS = { title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, embeds: 10, total: 6000, content: 2000 };
const ITEM_TEXT = 700;

const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';

function itemMarkdown(i: MessageItem, generatedAt: string): string {
  const lines = [`**${STATE_LABEL[i.state]}** ${code(objectLabel(i))} — ${itemHeadline(i)}`];
  if (i.diff.length && i.state !== 'resolved') lines.push('```\n' + i.diff.join('\n').replace(/```/g, "'''") + '\n```');
  lines.push(`*${itemWhen(i, generatedAt)}*`);
  return truncate(lines.join('\n'), ITEM_TEXT);
}

type Embed = { title: string; url?: string; description: string; color: number; fields: { name: string; value: string; inline: boolean }[]; footer: { text: string }; timestamp: string };

function embed(m: AlertMessage, s: MessageSection, n: number): Embed {
  const lines = s.items.slice(0, n).map((i) => itemMarkdown(i, m.generatedAt));
  const more = hiddenCount(s, n);
  if (more > 0) lines.push(`*${andMore(more, more === 1 ? 'object' : 'objects')}*`);
  const e: Embed = {
    title: truncate(`Environment ${s.environment}`, DISCORD_LIMITS.title),
    description: truncate(lines.join('\n\n') || 'Nothing drifted.', DISCORD_LIMITS.description),
    color: parseInt(KIND_COLOR[m.kind].slice(1), 16),
    fields: [
      { name: 'New', value: truncate(describeCounts(s.counts.new), DISCORD_LIMITS.fieldValue), inline: true },
      { name: 'Persisting', value: truncate(describeCounts(s.counts.persisting), DISCORD_LIMITS.fieldValue), inline: true },
      { name: 'Resolved', value: truncate(describeCounts(s.counts.resolved), DISCORD_LIMITS.fieldValue), inline: true },
    ],
    footer: { text: truncate(`Driftline${m.rule ? ` · rule ${m.rule}` : ''}`, DISCORD_LIMITS.footer) },
    timestamp: m.generatedAt,
  };
  if (s.link) e.url = s.link;
  return e;
}

/** The characters Discord counts towards the 6000 total. */
export function embedChars(embeds: Embed[]): number {
  let n = 0;
  for (const e of embeds) {
    n += charLength(e.title) + charLength(e.description) + charLength(e.footer.text);
    for (const f of e.fields) n += charLength(f.name) + charLength(f.value);
  }
  return n;
}

function payload(m: AlertMessage, counts: number[]) {
  const sections = m.sections.slice(0, DISCORD_LIMITS.embeds);
  const embeds = sections.map((s, i) => embed(m, s, counts[i]!));
  const extra = m.sections.length - sections.length;
  const content = truncate(`**${m.title}**${extra > 0 ? `\n${andMore(extra, 'environments')}` : ''}`, DISCORD_LIMITS.content);
  return { username: 'Driftline', content, embeds, allowed_mentions: { parse: [] as string[] } };
}

export const discordChannel: ChatChannel = {
  type: 'discord',
  limits: { documented: DISCORD_LIMITS, maxBodyBytes: 40_000 },
  render(m) {
    const sections = m.sections.slice(0, DISCORD_LIMITS.embeds);
    const counts = fitItemCounts(sections, 50, (c) => {
      const p = payload(m, c);
      // Descriptions are cut at 4096 anyway; the total decides how many items fit.
      return embedChars(p.embeds) <= DISCORD_LIMITS.total && p.embeds.every((e) => charLength(e.description) < DISCORD_LIMITS.description);
    });
    const p = payload(m, counts);
    // With every item cut, a digest over many environments may still exceed the total: drop trailing environments.
    while (embedChars(p.embeds) > DISCORD_LIMITS.total && p.embeds.length > 1) p.embeds.pop();
    return { body: JSON.stringify(p), headers: {} };
  },
};
