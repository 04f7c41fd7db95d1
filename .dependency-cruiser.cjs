/**
 * The import rules of Siyu's layers (docs/architecture.md, "Layers and rules"), checked by
 * `npm test` (`npm run check:deps`). Product code only: tests may reach into the module they test.
 */
const DOMAINS = 'cdp|segments|messaging|journeys|broadcasts|scrm|insight|loyalty|compliance';
const TESTS = '(\\.test\\.ts$|/test-kit\\.ts$|/test-helpers\\.ts$|/test-fixtures\\.ts$|/testing/)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files must not import each other in a loop: layers depend one way.',
      from: { pathNot: TESTS },
      to: { circular: true },
    },
    {
      name: 'platform-imports-no-module',
      severity: 'error',
      comment:
        'platform/ is the shared kernel (database, dialect, config, ids, clock, crypto, HTTP plumbing, time zones): it imports no domain, library or the root.',
      from: { path: '^src/platform/', pathNot: TESTS },
      to: { path: `^src/(${DOMAINS}|wecom|server|cli)/` },
    },
    {
      name: 'domain-through-index',
      severity: 'error',
      comment: "A module imports another module only through that module's index.ts (its one public surface).",
      from: { path: `^src/(${DOMAINS}|wecom)/`, pathNot: TESTS },
      to: { path: `^src/(${DOMAINS}|wecom)/`, pathNot: [`^src/$1/`, `^src/(${DOMAINS}|wecom)/index\\.ts$`] },
    },
    {
      name: 'nothing-imports-the-root',
      severity: 'error',
      comment: 'Only the CLI (and tests, benchmarks) may import the composition root in src/server/.',
      from: { path: '^src/', pathNot: ['^src/(server|cli)/', TESTS] },
      to: { path: '^src/server/' },
    },
    {
      name: 'cli-is-the-entry',
      severity: 'error',
      comment: 'src/cli/ is the entry point (bin/siyu.js); nothing in src/ imports it.',
      from: { path: '^src/', pathNot: ['^src/cli/', TESTS] },
      to: { path: '^src/cli/' },
    },
    {
      name: 'product-imports-no-dev-tools',
      severity: 'error',
      comment:
        'The WeCom sandbox, test support and benchmarks are development tools: product code does not import them (the CLI loads the sandbox and bench commands lazily).',
      from: { path: '^src/', pathNot: ['^src/cli/', TESTS] },
      to: { path: '^(wecom-sandbox|test|bench)/' },
    },
    {
      name: 'no-test-code-in-product',
      severity: 'error',
      comment: 'Product code does not import test files, kits or fixtures.',
      from: { path: '^src/', pathNot: TESTS },
      to: { path: TESTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|console/dist|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    parser: 'swc',
  },
};
