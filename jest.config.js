// One Jest run for the whole repository, in two projects:
//  - unit: pure logic (*.test.ts), no broker;
//  - integration: *.int.test.ts, against a real Kafka broker and schema registry that
//    test/setup/global-setup.ts finds (env, Docker via testcontainers, or the local stack in infra/);
//    run them in band (`npm test` does): they share one broker.
// ts-jest type-checks every test file and what it imports (isolatedModules off), so a type error fails the run.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }];
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // The workspaces' sources, never their compiled dist/ (their package.json `exports` has a `source` condition).
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', 'source'] },
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // test/cluster/*.cluster.test.ts start a 3-node cluster of their own: `npm run test:cluster` (jest.cluster.config.js);
  // test/secure/*.secure.test.ts a secure stack of their own: `npm run test:secure` (jest.secure.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/\\.cache/', '\\.cluster\\.test\\.ts$', '\\.secure\\.test\\.ts$'],
};
// No hang, ever: every test and hook has a timeout sized for a loaded 2-core machine (a hook's default is the
// project's testTimeout; a test that needs longer says so), and when the run is over Jest exits even if a client leaked
// a socket or a timer (forceExit), after printing which handles were open (openHandlesTimeout).
/** @type {import('jest').Config} */
module.exports = {
  forceExit: true,
  openHandlesTimeout: 5_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$'],
      testTimeout: 60_000,
    },
    {
      ...common,
      displayName: 'integration',
      testTimeout: 180_000,
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
