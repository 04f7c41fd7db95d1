/**
 * Every channel with its configuration and what the configuration and a test take: the console
 * builds its channel forms from this, so the fields are named once, in CHANNEL_SPECS.
 */
import { CHANNEL_SPECS, type ChannelConfigView, getChannelConfigView } from './channel-config.js';
import { testNeedsContent } from './channel-test.js';
import { type Channel, createChannels } from './channels/index.js';
import { CHANNELS } from './content.js';
import type { MessagingDeps } from './deps.js';

/** A channel's configuration with its form: plain fields, secret fields, the address a send needs. */
export interface ChannelInfo extends ChannelConfigView {
  fields: { name: string; type: 'string' | 'url' | 'int' | 'bool'; required: boolean }[];
  secrets: { name: string; required: boolean }[];
  address: Channel['address'];
  /** `wecom`: configured by the workspace's WeCom connection (SCRM), not here. */
  connection: 'wecom' | null;
  testContent: 'optional' | 'required';
}

/** Every channel, in CHANNELS order, with its configuration (secrets never shown) and its form. */
export async function listChannelInfos(deps: Pick<MessagingDeps, 'database' | 'cipher'>, ws: string): Promise<ChannelInfo[]> {
  const adapters = createChannels();
  const out: ChannelInfo[] = [];
  for (const ch of CHANNELS) {
    const spec = CHANNEL_SPECS[ch];
    out.push({
      ...(await getChannelConfigView(deps, ws, ch)),
      fields: Object.entries(spec.fields).map(([name, f]) => ({ name, type: f.type, required: !!f.required })),
      secrets: Object.entries(spec.secrets).map(([name, f]) => ({ name, required: !!f.required })),
      address: adapters[ch].address,
      connection: ch === 'wecom' || ch === 'wecom_group' ? 'wecom' : null,
      testContent: testNeedsContent(ch) ? 'required' : 'optional',
    });
  }
  return out;
}
