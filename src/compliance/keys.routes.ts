/**
 * Envelope encryption's keys (issue #19): `GET /v1/encryption/keys` — the workspace's data key
 * versions (`data`, newest first, the API's list shape) and its latest rotation with progress — and `POST /v1/encryption/keys/rotate`, which
 * makes a new version active at once and leaves the re-encryption to the `key-rotation` worker.
 * Both are the owner's (src/access/policy.ts classes `/v1/encryption` as admin). Key material is
 * never answered.
 */
import type { FastifyInstance } from 'fastify';
import { errorSchema, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { keyStatus, RotationRunningError, type RotationDeps, startRotation } from '../platform/key-rotation.js';
import type { KeyResolver } from '../platform/workspaces.js';
import { ComplianceError } from './errors.js';
import { keyStatusSchema } from './keys.schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/** The status as the API answers it (times as ISO strings). */
async function status(deps: RotationDeps, ws: string) {
  const s = await keyStatus(deps, ws);
  return {
    nextCursor: null,
    data: s.versions.map((v) => ({ ...v, createdAt: iso(v.createdAt), rotatedAt: isoOrNull(v.rotatedAt), retiredAt: isoOrNull(v.retiredAt) })),
    rotation: s.rotation && {
      ...s.rotation,
      startedAt: iso(s.rotation.startedAt),
      notBefore: iso(s.rotation.notBefore),
      finishedAt: isoOrNull(s.rotation.finishedAt),
    },
  };
}

/** Registers the key routes; `wake` tells the rotation worker there is work. */
export async function encryptionKeyRoutes(app: FastifyInstance, deps: RotationDeps & { keys: KeyResolver; wake?: () => void }): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get(
    '/v1/encryption/keys',
    {
      preHandler,
      schema: {
        ...secured('compliance', "The workspace's PII data key versions (active, retiring, retired) and its latest rotation with progress (owner only)"),
        response: { 200: keyStatusSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (req) => status(deps, req.workspaceId),
  );
  app.post(
    '/v1/encryption/keys/rotate',
    {
      preHandler,
      schema: {
        ...secured(
          'compliance',
          "Rotate the workspace's PII data key: a new version is active at once; the old ones are re-encrypted in the background, then retired (owner only)",
        ),
        response: { 202: keyStatusSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      try {
        await startRotation(deps, req.workspaceId);
      } catch (err) {
        if (err instanceof RotationRunningError)
          throw new ComplianceError('KEY_ROTATION_RUNNING', `${err.message}; wait for it to finish (GET /v1/encryption/keys shows its progress)`, {
            rotationId: err.rotationId,
          });
        throw err;
      }
      deps.wake?.();
      return reply.code(202).send(await status(deps, req.workspaceId));
    },
  );
}
