import type { FastifyInstance } from 'fastify';
import type { Services } from '../app.js';

// PLACEHOLDER: being written (see issue #2); registers no routes yet.
export async function tagRoutes(_app: FastifyInstance, _s: Services): Promise<void> {}
