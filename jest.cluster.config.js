// `npm run test:cluster`: the long tests on a 3-node Kafka cluster of their own (test/cluster), not part of `npm test`.
// test/cluster/global-setup.ts starts that cluster on its own ports and run directory (never the default stack's),
// and the teardown wipes it. Bounded: each test has its own timeout, and Jest exits when the run is over.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }];
/** @type {import('jest').Config} */
module.exports = {
  forceExit: true,
  openHandlesTimeout: 5_000,
  projects: [
    {
      rootDir: __dirname,
      displayName: 'cluster',
      testEnvironment: 'node',
      // The workspaces' sources, never their compiled dist/ (as jest.config.js).
      testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', 'source'] },
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['ts', 'js', 'json'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/\\.cache/'],
      testMatch: ['<rootDir>/test/cluster/**/*.cluster.test.ts'],
      testTimeout: 900_000,
      globalSetup: '<rootDir>/test/cluster/global-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
    },
  ],
};
