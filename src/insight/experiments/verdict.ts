/**
 * Results in plain language: a code per variant and for the whole experiment (the console maps
 * codes to its own strings too), and ready sentences in zh-CN and en with the numbers filled in.
 */
import type { AnalysisSettings, ArmResult, ArmVerdict, Verdict } from './analysis.types.js';
import type { SrmResult } from './stats.bayes.js';

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const prob = (x: number) => `${(x * 100).toFixed(1)}%`;
const pv = (p: number) => (p < 0.0001 ? '< 0.0001' : p.toFixed(4));

/** A variant's verdict: significant when its interval leaves 0 (the p-value is below α), in the direction of the lift. */
export function armVerdict(row: ArmResult, alpha: number, tooSmall: boolean): ArmVerdict {
  const l = row.lift;
  if (!l) {
    return {
      code: 'no_baseline_value',
      en: `${row.key}: the baseline's value is 0, so no relative effect can be computed.`,
      zh: `${row.key}：对照组数值为 0，无法计算相对提升。`,
    };
  }
  const ci = `${pct(l.ci[0])} … ${pct(l.ci[1])}`;
  const numbers = `lift ${pct(l.estimate)} (${Math.round((1 - alpha) * 100)}% CI ${ci}), p = ${pv(l.pValue)}, chance to win ${prob(row.chanceToWin ?? 0)}`;
  const zhNumbers = `提升 ${pct(l.estimate)}（${Math.round((1 - alpha) * 100)}% 置信区间 ${ci}），p = ${pv(l.pValue)}，胜出概率 ${prob(row.chanceToWin ?? 0)}`;
  if (tooSmall) {
    return { code: 'too_small', en: `${row.key}: too little data to judge yet — ${numbers}.`, zh: `${row.key}：样本太少，暂不能下结论——${zhNumbers}。` };
  }
  if (l.pValue < alpha && l.estimate > 0) {
    return { code: 'better', en: `${row.key} is better than the baseline: ${numbers}.`, zh: `${row.key} 显著优于对照组：${zhNumbers}。` };
  }
  if (l.pValue < alpha && l.estimate < 0) {
    return { code: 'worse', en: `${row.key} is worse than the baseline: ${numbers}.`, zh: `${row.key} 显著差于对照组：${zhNumbers}。` };
  }
  return {
    code: 'inconclusive',
    en: `${row.key}: no significant difference from the baseline yet — ${numbers}.`,
    zh: `${row.key}：与对照组尚无显著差异——${zhNumbers}。`,
  };
}

/** The experiment's verdict from its rows, the sample ratio check and the sample floor. */
export function overallVerdict(rows: readonly ArmResult[], srm: SrmResult, tooSmall: boolean, baseline: string, s: AnalysisSettings): Verdict {
  const variants = rows.filter((r) => !r.baseline);
  if (variants.length === 0) return { code: 'no_variants', winner: null, en: 'No variant to compare with the baseline.', zh: '没有可与对照组比较的实验组。' };
  if (srm.mismatch) {
    return {
      code: 'sample_ratio_mismatch',
      winner: null,
      en: `Sample ratio mismatch (chi-square p = ${pv(srm.pValue)}): the groups' sizes do not match their weights, so assignment or exposure logging is broken. Do not trust these results.`,
      zh: `样本比例失衡（卡方检验 p = ${pv(srm.pValue)}）：各组人数与分配比例不符，分组或曝光记录有问题，结果不可信。`,
    };
  }
  if (tooSmall) {
    const floor = `${s.minProfiles} profiles in every group and ${s.minConversions} conversions in the baseline for conversion goals`;
    return {
      code: 'too_small',
      winner: null,
      en: `Not enough data yet: wait for at least ${floor} before reading the result.`,
      zh: `样本量不足：每组至少 ${s.minProfiles} 人（转化类指标对照组至少 ${s.minConversions} 次转化）后再看结果。`,
    };
  }
  const better = variants.filter((r) => r.verdict?.code === 'better').sort((a, b) => b.lift!.estimate - a.lift!.estimate);
  if (better.length > 0) {
    const w = better[0]!;
    return { code: 'winner', winner: w.key, en: `Winner: ${w.verdict!.en}`, zh: `胜出：${w.verdict!.zh}` };
  }
  if (variants.every((r) => r.verdict?.code === 'worse')) {
    return {
      code: 'all_worse',
      winner: null,
      en: `Keep the baseline (${baseline}): every variant is significantly worse.`,
      zh: `保留对照组（${baseline}）：所有实验组都显著更差。`,
    };
  }
  return {
    code: 'inconclusive',
    winner: null,
    en: 'No significant difference yet: keep collecting data, or stop if the intervals already rule out an effect worth having.',
    zh: '尚无显著差异：继续收集数据；如果区间已排除值得追求的效果，可以停止实验。',
  };
}
