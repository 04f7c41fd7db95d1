#!/usr/bin/env node
// Size check of the product code (STYLE.md: a file past ~400 lines usually holds two ideas; a
// function past ~80 lines does several things). A file or function may be longer when a comment
// `size: <reason>` stands on the line before it (for a file: in its first five lines), e.g.
// `// size: one table of rule-node handlers, each a few lines`. Tests are not checked.
// Usage: node scripts/check-size.mjs [--list]   (--list prints every function over 60 lines too)
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { parseSync } from '@swc/core';

const FILE_LIMIT = 400;
const FUNCTION_LIMIT = 80;
const list = process.argv.includes('--list');
const files = execSync("git ls-files -co --exclude-standard 'src/**/*.ts' 'src/*.ts'", { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !/\.test\.ts$|\/test-kit\.ts$|\/test-helpers\.ts$|\/test-fixtures\.ts$/.test(f));

const problems = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const reasonAbove = (line) => /\bsize:\s*\S/.test(lines[line - 2] ?? '') || /\bsize:\s*\S/.test(lines[line - 3] ?? '');
  const fileLines = lines.length - (lines.at(-1) === '' ? 1 : 0);
  if (fileLines > FILE_LIMIT && !lines.slice(0, 5).some((l) => /\bsize:\s*\S/.test(l))) problems.push(`${file}: ${fileLines} lines (limit ${FILE_LIMIT})`);
  let ast;
  try {
    // A leading `;` makes the module's span start at the file's first byte: swc starts it at the
    // first token, so a file opening with a comment had every line counted from the wrong place.
    ast = parseSync(';' + text, { syntax: 'typescript', target: 'es2022' });
  } catch (err) {
    problems.push(`${file}: cannot parse (${err.message})`);
    continue;
  }
  // swc spans are byte offsets into one global source map: rebase on this module's start.
  const base = ast.span.start + 1;
  const bytes = Buffer.from(text, 'utf8');
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) starts.push(i + 1);
  const lineOf = (offset) => {
    let lo = 0,
      hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const visit = (node, name) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n) => visit(n, name));
    let label = name;
    if (node.type === 'FunctionDeclaration' || node.type === 'ClassMethod' || node.type === 'MethodProperty')
      label = node.identifier?.value ?? node.key?.value ?? name;
    if (node.type === 'VariableDeclarator' && node.id?.value) label = node.id.value;
    if (node.type === 'KeyValueProperty' && node.key?.value) label = node.key.value;
    const isFn = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod', 'MethodProperty'].includes(node.type);
    if (isFn && node.span) {
      const from = lineOf(node.span.start - base);
      const to = lineOf(node.span.end - base - 1);
      const n = to - from + 1;
      if (n > FUNCTION_LIMIT && !reasonAbove(from))
        problems.push(`${file}:${from}: function ${label ?? '(anonymous)'} is ${n} lines (limit ${FUNCTION_LIMIT})`);
      else if (list && n > 60) console.log(`${file}:${from}: ${label ?? '(anonymous)'} ${n} lines${n > FUNCTION_LIMIT ? ' (size reason given)' : ''}`);
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'span' && v && typeof v === 'object') visit(v, label);
  };
  visit(ast.body, undefined);
}
if (problems.length) {
  console.error(`size check: ${problems.length} problem(s)\n` + problems.map((p) => '  ' + p).join('\n'));
  console.error('Split the file or function, or state why it is long with a `size: <reason>` comment on the line before it.');
  process.exit(1);
}
console.log(`size check: ${files.length} files, none over ${FILE_LIMIT} lines or with a function over ${FUNCTION_LIMIT} lines without a stated reason`);
