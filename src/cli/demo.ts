/**
 * `siyu demo`: loads the deterministic demo brand (docs/demo.md) into an empty workspace, with a
 * progress bar on a terminal and a progress line every 2 seconds otherwise.
 */
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { DEMO_DEFAULTS, loadDemo, type DemoSummary } from '../demo/index.js';
import { loadConfig } from '../platform/config.js';
import { createServices, demoDeps } from '../server/app.js';
import { pickWorkspace } from './import.js';
import { output } from './output.js';

const n = (x: number) => x.toLocaleString('en-US');

const whole = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number (got "${v}")`);
  return Number(v);
};

/** Progress: one bar per phase (profiles, orders, models, segments) on a terminal, lines otherwise. */
function createProgress(): { update: (phase: string, done: number, total: number) => void; stop: () => void } {
  let current: string | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let started = Date.now();
  const secs = () => ((Date.now() - started) / 1000).toFixed(1);
  return {
    update(phase, done, total) {
      if (phase !== current) {
        current = phase;
        started = Date.now();
        bar?.stop();
        bar = undefined;
        if (process.stderr.isTTY) {
          bar = new cliProgress.SingleBar(
            { stream: process.stderr, format: `${phase.padEnd(8)} [{bar}] {percentage}% | {value}/{total}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, total), 0);
        } else lastLine = 0;
      }
      if (bar) bar.update(done);
      else if (Date.now() - lastLine >= 2000 || done === total) {
        lastLine = Date.now();
        process.stderr.write(`${phase}: ${n(done)}/${n(total)} (${secs()} s)\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}

/** The summary as readable lines. */
function describe(s: DemoSummary): string {
  return [
    `loaded the demo brand into ${s.workspaceId} in ${s.seconds} s (seed ${s.seed})`,
    `  customers: ${n(s.profiles)} profiles`,
    `  orders:    ${n(s.orders)} (${n(s.refundedOrders)} refunded or partly refunded)`,
    `  segments:  ${s.segments.map((g) => `${g.name} ${n(g.memberCount)}`).join(', ')}`,
    `  templates: ${s.templates.length}; journeys published: ${s.journeys.length}; broadcasts scheduled: ${s.broadcasts.length}`,
    ...(s.wecom
      ? [
          `  WeCom:     ${n(s.wecom.staff)} staff, ${n(s.wecom.contacts)} contacts, ${n(s.wecom.groups)} groups (${n(s.wecom.groupMembers)} members), ${s.wecom.liveCodes} live codes, ${s.wecom.scans} scans today`,
        ]
      : []),
    ...s.sends.map(
      (b) =>
        `  sent:      ${b.name} (${b.channel}): ${n(b.messages)} messages, ${n(b.sent)} sent, ${n(b.delivered)} delivered, ${n(b.failed)} failed, ${n(b.suppressed)} suppressed, ${n(b.opened)} opened${b.held ? `, ${n(b.held)} held for quiet hours (until 08:00; \`siyu serve\` sends them)` : ''}`,
    ),
    `  loyalty:   ${n(s.loyalty.members)} members carried ${n(s.loyalty.points)} points over; ${n(s.loyalty.upgraded)} reached 银卡 or 金卡`,
    ...s.notes.map((x) => `  note:      ${x}`),
    ...(s.wecom
      ? [
          `  note:      the WeCom sandbox (${s.wecom.apiBaseUrl}) ran inside this command and stopped with it: the synced data stays, calls to WeCom fail until the workspace is connected to a running corp; load from the console to keep it running with the server`,
        ]
      : []),
    'open the console to see it; to remove it, use a fresh workspace (docs/demo.md)',
  ].join('\n');
}

/** Registers `siyu demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Load the demo brand (a coffee chain and a designer-toy line) into an empty workspace')
    .option('--workspace <id>', 'workspace id (ws_...); may be left out when there is only one')
    .option('--customers <n>', `customers to generate (default ${n(DEMO_DEFAULTS.customers)})`, whole('--customers'))
    .option('--seed <s>', `generator seed: the same seed gives the same data (default ${DEMO_DEFAULTS.seed})`, whole('--seed'))
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { workspace?: string; customers?: number; seed?: number; json?: boolean }) => {
      // The WeCom sandbox and the SMS gateway stand-in run in this process while it loads (docs/demo.md).
      const { createDemoSandboxes } = await import('../../wecom-sandbox/demo.js');
      const services = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)), demoSandboxes: createDemoSandboxes });
      const progress = createProgress();
      try {
        const ws = await pickWorkspace(services, opts.workspace);
        const summary = await loadDemo(demoDeps(services), ws, { customers: opts.customers, seed: opts.seed, onProgress: progress.update });
        progress.stop();
        output(!!opts.json, summary, describe(summary));
      } finally {
        progress.stop();
        await services.writer.drain();
        await services.close();
      }
    });
}
