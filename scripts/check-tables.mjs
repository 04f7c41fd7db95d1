#!/usr/bin/env node
// Table ownership (docs/architecture-rules.md, "Tables"): every table belongs to the module whose
// migrations create it; other modules read it through the owner's published functions and never
// write it. This check finds every table a product file names in a query (Kysely's selectFrom,
// insertInto, updateTable, deleteFrom, joins, sql.table, and FROM/JOIN/UPDATE/INTO in raw SQL) and
// reports the ones its module does not own. The one declared exception: segments compiles rules to
// SQL over cdp's tables, so segments may READ cdp's tables (never write them); insight, the analytics
// reader, may READ every domain module's tables (never write them).
// Usage: node scripts/check-tables.mjs [--list]   (--list prints every module's foreign reads too)
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

const list = process.argv.includes('--list');
const files = execSync("git ls-files -co --exclude-standard 'src/**/*.ts'", { encoding: 'utf8' }).split('\n').filter(Boolean);
const moduleOf = (f) => f.split('/')[1];
const isMigration = (f) => /\/migrations?\.ts$/.test(f) || /\/migration\.ts$/.test(f);
const isTest = (f) => /\.test\.ts$|\/test-kit\.ts$|\/test-helpers\.ts$|\/test-fixtures\.ts$|\/testing\//.test(f);

// Owners: the module whose migrations create the table (platform's are in src/platform/migrations.ts).
const owner = new Map();
for (const f of files.filter(isMigration)) {
  for (const m of readFileSync(f, 'utf8').matchAll(/createTable\('([a-z_]+)'\)/g)) owner.set(m[1], moduleOf(f));
}

/** Declared exceptions: [reader module, owner module, access]. */
const EXCEPTIONS = [
  ['segments', 'cdp', 'read'],
  // insight is the analytics reader: metrics, funnels, cohorts and CLV are SQL over the other
  // modules' tables, read-only (docs/architecture-rules.md, "Tables").
  ...['cdp', 'segments', 'messaging', 'journeys', 'broadcasts', 'scrm', 'loyalty'].map((owner) => ['insight', owner, 'read']),
];

const WRITE = /^(insertMany|insertInto|updateTable|deleteFrom|mergeInto|into|update|insert into|delete from)$/i;
const patterns = [
  // Kysely builders: the first argument (a name, 'name as alias', or a list of them)
  /\b(selectFrom|insertInto|updateTable|deleteFrom|mergeInto|innerJoin|leftJoin|rightJoin|fullJoin|crossJoin|table)\(\s*\[?\s*'([a-z_]+)(?: as [a-z_]+)?'/g,
  // the dialect's bulk insert: insertMany(db, 'table', rows)
  /\b(insertMany)\(\s*[^,]+,\s*'([a-z_]+)'/g,
  // raw SQL inside template literals
  /\b(from|join|update|into)\s+"?([a-z_]+)"?(?=[\s,)(`;]|$)/gi,
];

const problems = [];
const foreign = [];
for (const f of files) {
  if (isTest(f) || isMigration(f)) continue;
  const mod = moduleOf(f);
  if (mod === 'server' || mod === 'cli') continue; // the root and the entry may name anything
  // Comments out (kept as blank space, so offsets still give line numbers).
  const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
  const lineAt = (index) => text.slice(0, index).split('\n').length;
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const table = m[2];
      const own = owner.get(table);
      if (!own || own === mod) continue;
      const access = WRITE.test(m[1]) ? 'write' : 'read';
      const allowed = EXCEPTIONS.some(([r, o, a]) => r === mod && o === own && (a === access || a === 'write'));
      const where = `${f}:${lineAt(m.index)}: ${mod} ${access}s ${table} (owned by ${own})`;
      if (allowed) foreign.push(where + ' [declared exception]');
      else problems.push(where);
    }
  }
}
if (list) for (const p of foreign) console.log(p);
if (problems.length) {
  console.error(`table ownership: ${problems.length} access(es) to another module's tables\n` + problems.map((p) => '  ' + p).join('\n'));
  console.error("Call the owner's published function instead (export one from its index.ts if it has none).");
  process.exit(1);
}
console.log(`table ownership: ${owner.size} tables, every access by its owner (segments reads cdp's tables: ${foreign.length} places, the declared exception)`);
