import type { Reporter, SerializedError, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';

/** The closing line's figures: tests by state, test files that failed, and errors outside tests. */
export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  files: number;
  failedFiles: number;
  /** Errors outside any test: a failing beforeAll/afterAll, a file that does not load, an unhandled rejection. */
  errors: number;
}

/** Counts a finished run. A file that failed (in a hook, at import) or an error outside tests makes the run red, whatever the tests say. */
export function summarise(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): RunSummary {
  const s: RunSummary = { passed: 0, failed: 0, skipped: 0, files: modules.length, failedFiles: 0, errors: unhandledErrors.length };
  for (const m of modules) {
    if (m.state() === 'failed') s.failedFiles++;
    s.errors += m.errors().length;
    for (const suite of m.children.allSuites() as Iterable<TestSuite>) s.errors += suite.errors().length;
    for (const t of m.children.allTests()) {
      const state = t.result().state;
      if (state === 'passed') s.passed++;
      else if (state === 'failed') s.failed++;
      else s.skipped++;
    }
  }
  return s;
}

/** The closing line CI systems read: "tests: N passed, N failed, N skipped; files: N failed of N; errors: N", and FAILED when anything failed. */
export function summaryLine(s: RunSummary, reason: TestRunEndReason | undefined): string {
  const red = s.failed > 0 || s.failedFiles > 0 || s.errors > 0 || reason === 'failed';
  return `tests: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped; files: ${s.failedFiles} failed of ${s.files}; errors outside tests: ${s.errors}${red ? ' -- FAILED' : ''}`;
}

/** Prints one plain closing line that never shows green when the run is red. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    process.stdout.write(`\n${summaryLine(summarise(modules, unhandledErrors), reason)}\n`);
  }
}
