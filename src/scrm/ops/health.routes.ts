import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import type { OpsContext } from './context.js';
import { OPS_BACKOFF, opsHealth } from './health.js';

const stepHealth = {
  type: 'object',
  required: ['step', 'state', 'failures', 'lastError', 'lastFailedAt', 'retryAt', 'lastOkAt'],
  properties: {
    step: { type: 'string', enum: ['sop tick', 'sop results', 'handover results'] },
    state: {
      type: 'string',
      enum: ['ok', 'retrying', 'failed'],
      description: `failed after ${OPS_BACKOFF.failedAfter} failures in a row (still tried hourly)`,
    },
    failures: { type: 'integer', description: 'failures in a row' },
    lastError: { type: ['string', 'null'], description: "the last failure's reason" },
    lastFailedAt: { type: ['string', 'null'] },
    retryAt: { type: ['string', 'null'], description: 'the worker skips the step until then (30 s doubling to 1 h)' },
    lastOkAt: { type: ['string', 'null'] },
  },
} as const;

/** GET /v1/wecom/ops/health: how the operations worker's steps fare in this workspace. */
export async function healthRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get(
    '/v1/wecom/ops/health',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', "The operations worker's steps (SOP tick, SOP results, handover results) in this workspace: failures, reason, next try"),
        response: {
          200: {
            type: 'object',
            required: ['steps'],
            properties: {
              steps: {
                type: 'object',
                description: 'by step name',
                required: ['sop tick', 'sop results', 'handover results'],
                properties: { 'sop tick': stepHealth, 'sop results': stepHealth, 'handover results': stepHealth },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => ({ steps: Object.fromEntries((await opsHealth(ctx, req.workspaceId)).map((h) => [h.step, h])) }),
  );
}
