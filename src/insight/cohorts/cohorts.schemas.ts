/** Request and response schemas of the cohort API. */
import { formatProperty, scopeProperties, scopeSchema, tableProperties } from '../metrics/metrics.schemas.js';

/** A cohort query (as a query string: it is a read). */
export const cohortQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...scopeProperties,
    ...formatProperty,
    by: { type: 'string', enum: ['first_purchase', 'first_contact'], default: 'first_purchase', description: 'what puts a profile in a cohort' },
    period: { type: 'string', enum: ['week', 'month'], default: 'month', description: 'local weeks (Monday first) or months' },
    retainedBy: { type: 'string', enum: ['purchase', 'activity'], default: 'purchase', description: 'what counts as coming back in a later period' },
  },
} as const;

/** A triangle: one row per cohort (its first local date), its size, retained counts `p0..pN` and rates `r0..rN`. */
export const cohortSchema = {
  type: 'object',
  required: ['scope', 'columns', 'rows'],
  properties: { scope: scopeSchema, cached: { type: 'boolean' }, computedAt: { type: 'integer' }, ...tableProperties },
} as const;
