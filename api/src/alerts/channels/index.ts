import type { ChatChannel, ChannelType } from './channel';
import { slackChannel } from './slack';
import { teamsChannel } from './teams';
import { googleChatChannel } from './googlechat';
import { mattermostChannel } from './mattermost';
import { discordChannel } from './discord';
import { webhookChannel } from './webhook';

export type { ChatChannel, ChannelType, RenderedRequest, RenderContext, ChannelLimits } from './channel';

/** Every provider, by the `type` a channel names in driftline.yaml. */
export const CHANNELS: Record<ChannelType, ChatChannel> = {
  slack: slackChannel,
  teams: teamsChannel,
  googlechat: googleChatChannel,
  mattermost: mattermostChannel,
  discord: discordChannel,
  webhook: webhookChannel,
};

export function channelFor(type: ChannelType): ChatChannel {
  return CHANNELS[type];
}
