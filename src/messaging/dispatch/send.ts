import type { SendResult } from '../channels/types.js';
import type { MessagingDeps } from '../deps.js';
import type { Job } from './types.js';

/**
 * The provider call of one job, outside any transaction. A channel that throws (a bug, not a
 * provider answer) counts as an ambiguous, retryable failure: the request may have left.
 */
export async function sendJob(deps: MessagingDeps, job: Job): Promise<SendResult> {
  try {
    return await job.channel.send(
      { workspaceId: job.row.workspace_id, config: job.config, fetch: deps.fetch, log: deps.log, now: deps.now, wecomClientFor: deps.wecomClientFor },
      job.out,
    );
  } catch (err) {
    deps.log.error({ err, messageId: job.row.id, channel: job.row.channel }, 'messaging: channel threw');
    return { status: 'failed', errorCode: 'INTERNAL', errorMessage: (err as Error).message, retryable: true, ambiguous: true };
  }
}
