/** Every module's error catalogue, joined: one code, one status, one owner (checked at start and by a test). */
import { AccessError } from '../access/index.js';
import { BroadcastError } from '../broadcasts/index.js';
import { CdpError } from '../cdp/index.js';
import { ComplianceError } from '../compliance/index.js';
import { DemoError } from '../demo/index.js';
import { InsightError } from '../insight/index.js';
import { JourneyError } from '../journeys/index.js';
import { LoyaltyError, MemberApiError } from '../loyalty/index.js';
import { MessagingError } from '../messaging/index.js';
import { mergeCatalogues } from '../platform/errors.js';
import { ScrmError } from '../scrm/index.js';
import { SegmentError } from '../segments/index.js';

/** The error classes of the modules, in layer order. */
export const ERROR_CLASSES = [
  CdpError,
  SegmentError,
  MessagingError,
  ScrmError,
  BroadcastError,
  JourneyError,
  LoyaltyError,
  MemberApiError,
  InsightError,
  AccessError,
  ComplianceError,
  DemoError,
] as const;

/** Code -> status and owning module, for every code the API may answer (GET /v1/errors). */
export function errorCatalogue(): Record<string, { status: number; domain: string }> {
  return mergeCatalogues(ERROR_CLASSES);
}
