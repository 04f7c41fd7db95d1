import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { errorResponses, secured } from '../../platform/http-schemas.js';
import { pageSchema } from '../../platform/paging.js';
import type { OpsContext } from './context.js';
import { type Id, idParams, taskSchema, tasksQuery } from './ops.schemas.js';
import { completeSopTask, listSopTasks, type TaskFilter } from './sop-tasks.service.js';

/** `/v1/wecom/tasks`: SOP tasks by due time, and completing one by hand. */
export async function taskRoutes(app: FastifyInstance, ctx: OpsContext, preHandler: preHandlerHookHandler): Promise<void> {
  app.get<{ Querystring: TaskFilter }>(
    '/v1/wecom/tasks',
    {
      preHandler,
      schema: {
        ...secured('wecom-ops', 'SOP tasks by due time; date is a local date (YYYY-MM-DD) in the workspace time zone'),
        querystring: tasksQuery,
        response: { 200: pageSchema(taskSchema), ...errorResponses },
      },
    },
    async (req) => listSopTasks(ctx, req.workspaceId, req.query),
  );
  app.post<Id>(
    '/v1/wecom/tasks/:id/complete',
    { preHandler, schema: { ...secured('wecom-ops', 'Mark a SOP task done by hand'), params: idParams, response: { 200: taskSchema, ...errorResponses } } },
    async (req) => completeSopTask(ctx, req.workspaceId, req.params.id),
  );
}
