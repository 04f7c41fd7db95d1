import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import type { WorkspaceSettings } from '../../platform/workspaces.js';
import { defaultSegmentationSettings, readModelSettings } from './index.js';

/** The VALIDATION_FAILED message for these workspace settings. */
function problem(settings: object): string {
  try {
    readModelSettings(settings as WorkspaceSettings);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    return (err as AppError).message;
  }
  throw new Error(`settings accepted: ${JSON.stringify(settings)}`);
}

describe('model settings', () => {
  it('fills in defaults and the workspace time zone', () => {
    const s = readModelSettings({});
    expect(s.timeZone).toBe('Asia/Shanghai');
    expect(s.lifecycle).toEqual({ newDays: 30, loyalMinOrders: 3, loyalMinSpentFen: 0, silentDays: 60, churnedDays: 180 });
    expect(s.community).toEqual({ windowDays: 30, weights: { message: 1, reply: 3, invite: 10 }, kocMinScore: 100, kocTopPercent: 5, activeMinMessages: 5 });
    expect(s.rfm.thresholds).toEqual({ r: null, f: null, m: null });
    expect(s.rfm.split).toEqual({ r: 3, f: 3, m: 3 });
    expect(s.rfm.cellNames.important_winback).toEqual({ 'zh-CN': '重要挽留客户', en: 'Important customers to win back' });
    expect(readModelSettings({ timezone: 'Europe/Berlin' }).timeZone).toBe('Europe/Berlin');
    expect(readModelSettings({}, 'UTC').timeZone).toBe('UTC');
  });

  it('reads partial settings and keeps defaults for the rest; its own output is accepted back', () => {
    const s = readModelSettings({
      segmentation: {
        rfm: { split: 4, thresholds: { f: [1, 1, 2, 4] }, cellNames: { general_value: { en: 'Regulars' } } },
        lifecycle: { silentDays: 90, churnedDays: 365 },
        community: { weights: { invite: 20 }, kocTopPercent: 2.5 },
      },
    });
    expect(s.rfm.split).toEqual({ r: 4, f: 4, m: 4 });
    expect(s.rfm.thresholds).toEqual({ r: null, f: [1, 1, 2, 4], m: null });
    expect(s.rfm.cellNames.general_value).toEqual({ 'zh-CN': '一般价值客户', en: 'Regulars' });
    expect(s.lifecycle).toMatchObject({ newDays: 30, silentDays: 90, churnedDays: 365 });
    expect(s.community).toMatchObject({ weights: { message: 1, reply: 3, invite: 20 }, kocTopPercent: 2.5 });
    const { timeZone: _, ...segmentation } = s;
    expect(readModelSettings({ segmentation }).rfm).toEqual(s.rfm);
    // The defaults are fresh objects: changing one result changes no other.
    s.rfm.cellNames.important_value.en = 'changed';
    expect(defaultSegmentationSettings().rfm.cellNames.important_value.en).toBe('Important value customers');
  });

  it('refuses bad settings, naming the setting and what is accepted', () => {
    expect(problem({ segmentation: { lifecycle: { silentDays: 60, churnedDays: 60 } } })).toBe(
      'segmentation.lifecycle.churnedDays (60) must be greater than silentDays (60): a profile goes silent first and churns later',
    );
    expect(problem({ segmentation: { lifecycle: { silentDays: 200 } } })).toMatch(/churnedDays \(180\) must be greater than silentDays \(200\)/);
    expect(problem({ segmentation: { lifecycle: { silentDay: 30 } } })).toBe(
      'segmentation.lifecycle has an unknown setting "silentDay"; accepted: newDays, loyalMinOrders, loyalMinSpentFen, silentDays, churnedDays',
    );
    expect(problem({ segmentation: { lifecycle: { newDays: '30' } } })).toBe('segmentation.lifecycle.newDays must be a whole number from 1 to 3650, got "30"');
    expect(problem({ segmentation: { lifecycle: { newDays: 0 } } })).toMatch(/newDays must be a whole number from 1 to 3650, got 0/);
    expect(problem({ segmentation: { lifecycle: { loyalMinSpentFen: 9.5 } } })).toMatch(/loyalMinSpentFen must be a whole number/);
    expect(problem({ segmentation: { rfm: { thresholds: { r: [30, 90, 180, 365] } } } })).toMatch(
      /^segmentation\.rfm\.thresholds\.r must be null \(quintiles over the buyers\) or 4 whole non-negative days since the last purchase from worst to best, so not increasing, e\.g\. \[365, 180, 90, 30\]; got \[30,90,180,365\]$/,
    );
    expect(problem({ segmentation: { rfm: { thresholds: { m: [1, 2, 3] } } } })).toMatch(
      /thresholds\.m must be .* 4 whole non-negative amounts in fen .* got \[1,2,3\]/,
    );
    expect(problem({ segmentation: { rfm: { thresholds: { f: [1, 2, 3, -4] } } } })).toMatch(/thresholds\.f must be/);
    expect(problem({ segmentation: { rfm: { split: 1 } } })).toBe('segmentation.rfm.split must be a whole number from 2 to 5, got 1');
    expect(problem({ segmentation: { rfm: { split: { r: 6 } } } })).toBe('segmentation.rfm.split.r must be a whole number from 2 to 5, got 6');
    expect(problem({ segmentation: { rfm: { cellNames: { vip: { en: 'x' } } } } })).toMatch(
      /segmentation\.rfm\.cellNames has an unknown setting "vip"; accepted: important_value, /,
    );
    expect(problem({ segmentation: { rfm: { cellNames: { general_value: { English: 'x' } } } } })).toMatch(/"English", which is not a locale/);
    expect(problem({ segmentation: { rfm: { cellNames: { general_value: { en: '  ' } } } } })).toMatch(
      /cellNames\.general_value\.en must be a name of 1 to 64 characters/,
    );
    expect(problem({ segmentation: { rfm: { cellNames: { general_value: 'x' } } } })).toMatch(/cellNames\.general_value must be an object of locale to name/);
    expect(problem({ segmentation: { community: { weights: { message: 0, reply: 0, invite: 0 } } } })).toMatch(/weights must give at least one/);
    expect(problem({ segmentation: { community: { kocTopPercent: 5.555 } } })).toMatch(
      /kocTopPercent must be a percentage from 0 \(off\) to 100 with at most 2 decimals, got 5.555/,
    );
    expect(problem({ segmentation: { community: { kocTopPercent: 101 } } })).toMatch(/kocTopPercent/);
    expect(problem({ segmentation: { community: [] } })).toBe('segmentation.community must be an object, got []');
    expect(problem({ segmentation: { journeys: {} } })).toMatch(/segmentation has an unknown setting "journeys"; accepted: rfm, lifecycle, community/);
    expect(problem({ timezone: 'Mars/Olympus' })).toBe('timezone "Mars/Olympus" is not an IANA time zone such as Asia/Shanghai');
  });
});
