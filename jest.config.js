// @nestjs 12 and a few other dependencies ship ESM only; jest (unlike Node 20.19+) cannot
// require() ESM, so @swc/jest transforms them to CommonJS. `.swcrc` keeps decorator metadata,
// without which Nest's DI injects undefined.
const esmPackages = [
  // langchain's initChatModel import()s provider packages: transformed, that becomes require() jest can run.
  'langchain','@nestjs', 'pg-boss', 'serialize-error', 'non-error', 'rrule-temporal', 'temporal-spec', 'file-type', '@borewit', 'unpdf', 'strtok3', 'token-types', 'uint8array-extras', '@tokenizer', 'nestjs-pino', 'openid-client', 'jose', 'oauth4webapi', 'oauth2-mock-server', 'basic-auth', 'is-plain-obj'];

const common = {
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    '^.+\\.[mc]?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  testEnvironment: 'node',
  // unpdf loads its PDF.js build through an import-only export, which jest's resolver skips.
  // A relative import() names the built file (`./x.js`, as nodenext requires); jest runs `./x.ts`.
  moduleNameMapper: { '^unpdf/pdfjs$': '<rootDir>/node_modules/unpdf/dist/pdfjs.mjs', '^(\\.{1,2}/.*)\\.js$': '$1' },
};

module.exports = {
  // A global option (not per project): booting an app in a fresh module registry takes seconds
  // on a loaded 2-core machine, more than jest's default 5 s for a hook.
  testTimeout: 20_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
    {
      // The conditional SQL (claims, flushes, consent decisions, refresh rotation) straight
      // against PostgreSQL: the run's own migrated database, no application around it.
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
