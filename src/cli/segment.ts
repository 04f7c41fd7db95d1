import { createWriteStream, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { createServices, type Services } from '../server/app.js';
import { loadConfig } from '../platform/config.js';
import {
  computeModels,
  createSegment,
  exportMembersCsv,
  findSegment,
  listSegments,
  MODEL_NAMES,
  type ModelName,
  recomputeSegment,
  requestModelSegmentRecomputes,
  requestRecompute,
  rfmReport,
} from '../segments/index.js';
import { output } from './output.js';
import { pickWorkspace } from './import.js';

async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  // Logs go to stderr: stdout carries results (--json, CSV).
  const s = await createServices(loadConfig(), { log: pino({ level: 'warn' }, pino.destination(2)) });
  try {
    return await fn(s);
  } finally {
    await s.writer.drain();
    await s.database.close();
  }
}

const n = (x: number) => x.toLocaleString('en-US');

/** Registers `siyu segment list|create|eval|export` and `siyu models ...`. */
export function registerSegmentCommands(program: Command): void {
  registerModelCommands(program);
  const segment = program.command('segment').description('Segments: list, create from a rule file, evaluate, export members');
  segmentListCommand(segment);
  segmentCreateCommand(segment);
  segmentEvalCommand(segment);
  segmentExportCommand(segment);
}

/** `siyu segment list`. */
function segmentListCommand(segment: Command): void {
  segment
    .command('list')
    .description('List active segments with their sizes')
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--json', 'print as JSON')
    .action(async (opts: { workspace?: string; json?: boolean }) =>
      withServices(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const all = [];
        let cursor: string | undefined;
        do {
          const page = await listSegments(s.segments, ws, { limit: 1000, cursor });
          all.push(...page.data);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const lines = all.map(
          (g) =>
            `${g.id}  ${g.name}  ${n(g.memberCount)} members  v${g.version}${g.computing ? '  (computing)' : ''}${g.summary ? `\n    ${g.summary.en}` : ''}`,
        );
        output(!!opts.json, all, lines.join('\n') || 'no segments');
      }),
    );
}

/** `siyu segment create`. */
function segmentCreateCommand(segment: Command): void {
  segment
    .command('create')
    .description('Create a rule segment from a JSON rule file (see docs/segments-rules.md), or a static one')
    .requiredOption('--name <name>', 'segment name (unique in the workspace)')
    .option('--rule <file>', 'JSON file with the rule')
    .option('--static', 'a static segment (members uploaded from a CSV of identifiers)')
    .option('--description <text>', 'what the segment is for')
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--json', 'print as JSON')
    .action(async (opts: { name: string; rule?: string; static?: boolean; description?: string; workspace?: string; json?: boolean }) => {
      if (!!opts.static === !!opts.rule) throw new InvalidArgumentError('give either --rule <file> or --static');
      let rule: unknown;
      if (opts.rule) {
        try {
          rule = JSON.parse(readFileSync(opts.rule, 'utf8'));
        } catch (err) {
          throw new InvalidArgumentError(`--rule ${opts.rule}: ${(err as Error).message}`);
        }
      }
      await withServices(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const created = await createSegment(s.segments, ws, {
          name: opts.name,
          description: opts.description,
          kind: opts.static ? 'static' : 'rule',
          rule,
        });
        output(
          !!opts.json,
          created,
          `created segment ${created.id} "${created.name}"${created.summary ? `: ${created.summary.en}` : ''}\n${created.kind === 'rule' ? `run \`siyu segment eval ${created.id}\` to compute it now (a running server computes it in the background)` : ''}`,
        );
      });
    });
}

/** `siyu segment eval`. */
function segmentEvalCommand(segment: Command): void {
  segment
    .command('eval')
    .description('Compute a rule segment from scratch now, with a progress bar (resumes an interrupted computation)')
    .argument('<segment>', 'segment id or name')
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: { workspace?: string; json?: boolean }) =>
      withServices(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const seg = await findSegment(s.database.db, ws, ref);
        if (seg.kind !== 'rule') throw new InvalidArgumentError(`segment "${seg.name}" is static: its members come from uploads, there is nothing to compute`);
        if (seg.status !== 'active') throw new InvalidArgumentError(`segment "${seg.name}" is archived`);
        if (!seg.computing) await requestRecompute(s.database.db, ws, seg.id, s.clock.now());
        const tty = process.stderr.isTTY;
        const bar = tty
          ? new cliProgress.SingleBar(
              { format: `${seg.name} [{bar}] {percentage}% | {value}/{total} profiles | +{entered} -{exited} | {duration_formatted}`, stream: process.stderr },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let last = 0;
        const started = Date.now();
        const result = await recomputeSegment(s.membership, ws, seg.id, {
          onProgress: (p) => {
            if (bar) {
              if (!last) bar.start(p.total, 0, { entered: 0, exited: 0 });
              last = 1;
              bar.setTotal(Math.max(p.total, p.done));
              bar.update(p.done, { entered: p.entered, exited: p.exited });
            } else if (Date.now() - last > 2000) {
              last = Date.now();
              process.stderr.write(`${seg.name}: ${n(p.done)} / ${n(p.total)} profiles, +${n(p.entered)} -${n(p.exited)}\n`);
            }
          },
        });
        bar?.stop();
        if (!result) throw new InvalidArgumentError(`segment "${seg.name}" changed while computing (new version or archived); run eval again`);
        const after = await findSegment(s.database.db, ws, seg.id);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        output(
          !!opts.json,
          {
            segmentId: seg.id,
            version: result.version,
            profiles: result.done,
            entered: result.entered,
            exited: result.exited,
            members: after.memberCount,
            seconds: Number(secs),
          },
          `${seg.name} v${result.version}: ${n(after.memberCount)} members of ${n(result.done)} profiles (+${n(result.entered)} entered, -${n(result.exited)} exited) in ${secs} s`,
        );
      }),
    );
}

/** `siyu segment export`. */
function segmentExportCommand(segment: Command): void {
  segment
    .command('export')
    .description('Write the members of a segment as CSV (streamed)')
    .argument('<segment>', 'segment id or name')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--traits <names>', 'comma-separated trait names to add as columns')
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .action(async (ref: string, opts: { out?: string; traits?: string; workspace?: string }) =>
      withServices(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const seg = await findSegment(s.database.db, ws, ref);
        const out = opts.out ? createWriteStream(opts.out) : process.stdout;
        const traits = (opts.traits ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        for await (const chunk of exportMembersCsv(s.segments, ws, seg.id, traits)) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
        if (opts.out) {
          (out as ReturnType<typeof createWriteStream>).end();
          await finished(out);
          process.stderr.write(`wrote ${n(seg.memberCount)} members to ${opts.out}\n`);
        }
      }),
    );
}

/** Registers `siyu models compute|rfm-report`. */
export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('Built-in models: RFM value tiers, lifecycle stages, community roles');

  models
    .command('compute')
    .description('Run the models now (all, or those listed) and queue the segments that use them for a recompute')
    .option('--models <names>', `comma-separated subset of ${MODEL_NAMES.join(', ')}`)
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--json', 'print as JSON')
    .action(async (opts: { models?: string; workspace?: string; json?: boolean }) =>
      withServices(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const names = opts.models
          ?.split(',')
          .map((m) => m.trim())
          .filter(Boolean);
        const unknown = names?.filter((m) => !(MODEL_NAMES as readonly string[]).includes(m)) ?? [];
        if (unknown.length) throw new InvalidArgumentError(`unknown model ${unknown.join(', ')}; known: ${MODEL_NAMES.join(', ')}`);
        const started = Date.now();
        const report = await computeModels(s.database.db, s.database.dialect, ws, s.clock.now(), {
          models: names as ModelName[] | undefined,
          clock: s.clock,
          defaultTimeZone: s.config.defaultTimezone,
        });
        const queued = await requestModelSegmentRecomputes(s.database.db, ws, s.clock.now());
        const lines: string[] = [];
        if (report.rfm)
          lines.push(
            `rfm: ${n(report.rfm.buyers)} buyers scored; cells ${Object.entries(report.rfm.cells)
              .map(([c, k]) => `${c} ${n(k)}`)
              .join(', ')}`,
          );
        if (report.lifecycle)
          lines.push(
            `lifecycle: ${n(report.lifecycle.profiles)} profiles, ${n(report.lifecycle.changed)} changed stage; ${Object.entries(report.lifecycle.stages)
              .map(([c, k]) => `${c} ${n(k)}`)
              .join(', ')}`,
          );
        if (report.community)
          lines.push(
            `community: ${n(report.community.members)} group members; ${Object.entries(report.community.roles)
              .map(([c, k]) => `${c} ${n(k)}`)
              .join(', ')}`,
          );
        lines.push(
          queued.length
            ? `segments queued for recompute (run by the server's worker, or \`siyu segment eval\`): ${queued.join(', ')}`
            : 'no segment uses the models',
        );
        lines.push(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
        output(!!opts.json, { ...report, segmentsRecomputing: queued }, lines.join('\n'));
      }),
    );

  models
    .command('rfm-report')
    .description('The RFM cells of the last run: sizes, revenue share, averages')
    .option('--workspace <id>', 'workspace id (may be left out when there is only one)')
    .option('--json', 'print as JSON')
    .action(async (opts: { workspace?: string; json?: boolean }) =>
      withServices(async (s) => {
        const ws = await pickWorkspace(s, opts.workspace);
        const report = await rfmReport(s.database.db, ws);
        const lines = report.computedAt
          ? [
              `computed ${report.computedAt}: ${n(report.buyers)} buyers, revenue ¥${(report.revenueFen / 100).toFixed(2)}`,
              ...report.cells.map(
                (c) =>
                  `  ${c.cell.padEnd(18)} ${c.name['zh-CN']} / ${c.name.en}: ${n(c.count)} buyers (${(c.share * 100).toFixed(1)}%), revenue ${(c.revenueShare * 100).toFixed(1)}%`,
              ),
            ]
          : ['RFM has not run yet: `siyu models compute`'];
        output(!!opts.json, report, lines.join('\n'));
      }),
    );
}
