/**
 * Model settings: read from `workspaces.settings.segmentation` (and the workspace's `timezone`),
 * with defaults filled in and every value checked. A bad value is a VALIDATION_FAILED AppError
 * naming the setting, what it got and what is accepted; the same reader validates
 * `PUT /v1/models/settings`, so a stored setting is always one the models can run with.
 */
import type { Kysely } from 'kysely';
import type { SegmentsSqlDB } from '../schema.js';
import { SegmentError } from '../errors.js';
import { getWorkspace, updateWorkspaceSettings, type WorkspaceSettings } from '../../platform/workspaces.js';
import { RFM_CELLS, type RfmCell } from '../rule.types.js';
import {
  type CommunitySettings,
  type LifecycleSettings,
  MODEL_NAMES,
  type ModelSettings,
  type RfmSettings,
  type SegmentationSettings,
  type Thresholds,
} from './model.types.js';
import { DEFAULT_TIME_ZONE, isTimeZone } from '../../platform/time.js';

export { MODEL_NAMES, type ModelName } from './model.types.js';

export type { CommunitySettings, LifecycleSettings, ModelSettings, RfmSettings, SegmentationSettings, Thresholds } from './model.types.js';

/** Default display names of the eight RFM cells. */
export const DEFAULT_CELL_NAMES: Readonly<Record<RfmCell, Readonly<Record<string, string>>>> = {
  important_value: { 'zh-CN': '重要价值客户', en: 'Important value customers' },
  important_develop: { 'zh-CN': '重要发展客户', en: 'Important customers to develop' },
  important_retain: { 'zh-CN': '重要保持客户', en: 'Important customers to retain' },
  important_winback: { 'zh-CN': '重要挽留客户', en: 'Important customers to win back' },
  general_value: { 'zh-CN': '一般价值客户', en: 'General value customers' },
  general_develop: { 'zh-CN': '一般发展客户', en: 'General customers to develop' },
  general_retain: { 'zh-CN': '一般保持客户', en: 'General customers to retain' },
  general_winback: { 'zh-CN': '一般挽留客户', en: 'General customers to win back' },
};

/** The settings every workspace starts with. */
export function defaultSegmentationSettings(): SegmentationSettings {
  return {
    rfm: {
      thresholds: { r: null, f: null, m: null },
      split: { r: 3, f: 3, m: 3 },
      cellNames: Object.fromEntries(RFM_CELLS.map((c) => [c, { ...DEFAULT_CELL_NAMES[c] }])) as Record<RfmCell, Record<string, string>>,
    },
    lifecycle: { newDays: 30, loyalMinOrders: 3, loyalMinSpentFen: 0, silentDays: 60, churnedDays: 180 },
    community: { windowDays: 30, weights: { message: 1, reply: 3, invite: 10 }, kocMinScore: 100, kocTopPercent: 5, activeMinMessages: 5 },
  };
}

const MAX_DAYS = 3650;

function invalid(message: string): never {
  throw new SegmentError('VALIDATION_FAILED', message);
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** An optional object with only the listed keys; undefined stays undefined. */
function object(path: string, v: unknown, keys: readonly string[]): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) invalid(`${path} must be an object, got ${show(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) invalid(`${path} has an unknown setting "${k}"; accepted: ${keys.join(', ')}`);
  }
  return o;
}

function integer(path: string, v: unknown, min: number, max: number, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) invalid(`${path} must be a whole number from ${min} to ${max}, got ${show(v)}`);
  return v;
}

function thresholds(path: string, v: unknown, dim: 'r' | 'f' | 'm'): Thresholds | null {
  if (v === undefined || v === null) return null;
  const what = { r: 'days since the last purchase', f: 'order counts', m: 'amounts in fen' }[dim];
  const order =
    dim === 'r'
      ? 'from worst to best, so not increasing, e.g. [365, 180, 90, 30]'
      : dim === 'f'
        ? 'from worst to best, so not decreasing, e.g. [1, 2, 3, 5]'
        : 'from worst to best, so not decreasing, e.g. [10000, 50000, 100000, 500000]';
  const expected = `${path} must be null (quintiles over the buyers) or 4 whole non-negative ${what} ${order}; got ${show(v)}`;
  if (!Array.isArray(v) || v.length !== 4 || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) invalid(expected);
  const t = v as number[];
  for (let i = 1; i < 4; i++) if (dim === 'r' ? t[i]! > t[i - 1]! : t[i]! < t[i - 1]!) invalid(expected);
  return [t[0]!, t[1]!, t[2]!, t[3]!];
}

const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

function readRfm(v: unknown): RfmSettings {
  const path = 'segmentation.rfm';
  const d = defaultSegmentationSettings().rfm;
  const o = object(path, v, ['thresholds', 'split', 'cellNames']);
  if (!o) return d;
  const t = object(`${path}.thresholds`, o.thresholds, ['r', 'f', 'm']) ?? {};
  const out: RfmSettings = {
    thresholds: {
      r: thresholds(`${path}.thresholds.r`, t.r, 'r'),
      f: thresholds(`${path}.thresholds.f`, t.f, 'f'),
      m: thresholds(`${path}.thresholds.m`, t.m, 'm'),
    },
    split: d.split,
    cellNames: d.cellNames,
  };
  if (typeof o.split === 'number' || o.split === undefined) {
    const s = integer(`${path}.split`, o.split, 2, 5, 3);
    out.split = { r: s, f: s, m: s };
  } else {
    const s = object(`${path}.split`, o.split, ['r', 'f', 'm'])!;
    out.split = { r: integer(`${path}.split.r`, s.r, 2, 5, 3), f: integer(`${path}.split.f`, s.f, 2, 5, 3), m: integer(`${path}.split.m`, s.m, 2, 5, 3) };
  }
  const names = object(`${path}.cellNames`, o.cellNames, RFM_CELLS) ?? {};
  for (const [cell, byLocale] of Object.entries(names)) {
    const locales = byLocale as Record<string, unknown>;
    if (locales === null || typeof locales !== 'object' || Array.isArray(locales))
      invalid(`${path}.cellNames.${cell} must be an object of locale to name, e.g. {"zh-CN": "重要价值客户"}, got ${show(byLocale)}`);
    for (const [locale, name] of Object.entries(locales)) {
      if (!LOCALE.test(locale)) invalid(`${path}.cellNames.${cell} has "${locale}", which is not a locale such as zh-CN or en`);
      if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > 64)
        invalid(`${path}.cellNames.${cell}.${locale} must be a name of 1 to 64 characters, got ${show(name)}`);
      out.cellNames[cell as RfmCell][locale] = name.trim();
    }
  }
  return out;
}

function readLifecycle(v: unknown): LifecycleSettings {
  const path = 'segmentation.lifecycle';
  const d = defaultSegmentationSettings().lifecycle;
  const o = object(path, v, ['newDays', 'loyalMinOrders', 'loyalMinSpentFen', 'silentDays', 'churnedDays']) ?? {};
  const out: LifecycleSettings = {
    newDays: integer(`${path}.newDays`, o.newDays, 1, MAX_DAYS, d.newDays),
    loyalMinOrders: integer(`${path}.loyalMinOrders`, o.loyalMinOrders, 1, 1_000_000, d.loyalMinOrders),
    loyalMinSpentFen: integer(`${path}.loyalMinSpentFen`, o.loyalMinSpentFen, 0, Number.MAX_SAFE_INTEGER, d.loyalMinSpentFen),
    silentDays: integer(`${path}.silentDays`, o.silentDays, 1, MAX_DAYS, d.silentDays),
    churnedDays: integer(`${path}.churnedDays`, o.churnedDays, 1, MAX_DAYS, d.churnedDays),
  };
  if (out.churnedDays <= out.silentDays) {
    invalid(`${path}.churnedDays (${out.churnedDays}) must be greater than silentDays (${out.silentDays}): a profile goes silent first and churns later`);
  }
  return out;
}

function readCommunity(v: unknown): CommunitySettings {
  const path = 'segmentation.community';
  const d = defaultSegmentationSettings().community;
  const o = object(path, v, ['windowDays', 'weights', 'kocMinScore', 'kocTopPercent', 'activeMinMessages']) ?? {};
  const w = object(`${path}.weights`, o.weights, ['message', 'reply', 'invite']) ?? {};
  const out: CommunitySettings = {
    windowDays: integer(`${path}.windowDays`, o.windowDays, 1, 365, d.windowDays),
    weights: {
      message: integer(`${path}.weights.message`, w.message, 0, 1000, d.weights.message),
      reply: integer(`${path}.weights.reply`, w.reply, 0, 1000, d.weights.reply),
      invite: integer(`${path}.weights.invite`, w.invite, 0, 1000, d.weights.invite),
    },
    kocMinScore: integer(`${path}.kocMinScore`, o.kocMinScore, 1, 1_000_000_000, d.kocMinScore),
    kocTopPercent: d.kocTopPercent,
    activeMinMessages: integer(`${path}.activeMinMessages`, o.activeMinMessages, 1, 1_000_000, d.activeMinMessages),
  };
  if (o.kocTopPercent !== undefined) {
    const p = o.kocTopPercent;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100 || Math.round(p * 100) !== p * 100) {
      invalid(`${path}.kocTopPercent must be a percentage from 0 (off) to 100 with at most 2 decimals, got ${show(p)}`);
    }
    out.kocTopPercent = p;
  }
  if (out.weights.message + out.weights.reply + out.weights.invite === 0)
    invalid(`${path}.weights must give at least one of message, reply, invite a weight above 0`);
  return out;
}

/**
 * The validated segmentation settings of `input` (the `segmentation` object of the workspace
 * settings; anything left out takes its default). Throws AppError VALIDATION_FAILED.
 */
export function readSegmentationSettings(input: unknown): SegmentationSettings {
  const o = object('segmentation', input ?? undefined, MODEL_NAMES) ?? {};
  return { rfm: readRfm(o.rfm), lifecycle: readLifecycle(o.lifecycle), community: readCommunity(o.community) };
}

/**
 * The model settings of a workspace: its `segmentation` settings with defaults and validation, and
 * its time zone (`defaultTimeZone` when it has none). Throws AppError VALIDATION_FAILED.
 */
export function readModelSettings(settings: WorkspaceSettings, defaultTimeZone: string = DEFAULT_TIME_ZONE): ModelSettings {
  const timeZone = settings.timezone ?? defaultTimeZone;
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) invalid(`timezone ${show(timeZone)} is not an IANA time zone such as Asia/Shanghai`);
  return { timeZone, ...readSegmentationSettings(settings.segmentation) };
}

/** The model settings of a workspace as stored (NOT_FOUND for an unknown workspace). */
export async function loadModelSettings(db: Kysely<SegmentsSqlDB>, ws: string, defaultTimeZone: string = DEFAULT_TIME_ZONE): Promise<ModelSettings> {
  const workspace = await getWorkspace(db, ws);
  if (!workspace) throw new SegmentError('NOT_FOUND', `workspace ${ws} does not exist`);
  return readModelSettings(workspace.settings, defaultTimeZone);
}

/**
 * Validates `input` and stores it as the workspace's `settings.segmentation`, leaving its other
 * settings alone (platform's compare-and-set, so a concurrent change of another setting is not
 * lost). Returns the effective settings.
 */
export async function saveSegmentationSettings(
  db: Kysely<SegmentsSqlDB>,
  ws: string,
  input: unknown,
  defaultTimeZone: string = DEFAULT_TIME_ZONE,
): Promise<ModelSettings> {
  readSegmentationSettings(input);
  const segmentation = input as WorkspaceSettings['segmentation'];
  let effective: ModelSettings | undefined;
  const saved = await updateWorkspaceSettings(db, ws, (current) => {
    // The whole of what the models will read, checked before anything is written.
    effective = readModelSettings({ ...current, segmentation }, defaultTimeZone);
    return { segmentation };
  });
  if (!saved || !effective) throw new SegmentError('NOT_FOUND', `workspace ${ws} does not exist`);
  return effective;
}
