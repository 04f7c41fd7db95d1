/**
 * The import rules of Siyu's layers (docs/architecture.md, "Layers and rules"), checked by
 * `npm test` (`npm run check:deps`, over src/ and console/src/). Product code only: tests may
 * reach into the module they test.
 */
const DOMAINS = 'cdp|segments|messaging|journeys|broadcasts|scrm|insight|loyalty|compliance|access|demo';
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
    {
      name: 'console-reaches-schemas-and-types-only',
      severity: 'error',
      comment:
        'What the console reaches in src/ (directly or through other files) is route schemas and type files only (`*.schemas.ts`, `*.types.ts`), which import no server code: the console type-checks them with its own settings (no Node types) and derives its API types from them (docs/architecture.md, "Console API types"). That it imports them as types only is checked by the console build (console/vite.config.ts).',
      from: { path: '^console/src/' },
      to: { path: '^src/', pathNot: '(schemas|\\.types)\\.ts$', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The console's .tsx files are left out: the swc parser dependency-cruiser uses reads no JSX. They
    // reach src/ only through api.ts and templates.ts, and the console build fails if any server
    // module gets into the bundle (console/vite.config.ts).
    exclude: { path: ['^(node_modules|console/dist|data)/', '^console/src/.*\\.tsx$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
    parser: 'swc',
  },
};
