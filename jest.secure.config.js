// `npm run test:secure`: Kafka over TLS with SASL/SCRAM and ACLs (test/secure), not part of `npm test`.
// test/secure/global-setup.ts starts a secure single-node stack of its own, from scratch, on its own ports and run
// directory (never the default stack's), provisions its topics and ACLs, and the teardown wipes it.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }];
/** @type {import('jest').Config} */
module.exports = {
  forceExit: true,
  openHandlesTimeout: 5_000,
  projects: [
    {
      rootDir: __dirname,
      displayName: 'secure',
      testEnvironment: 'node',
      // The workspaces' sources, never their compiled dist/ (as jest.config.js).
      testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', 'source'] },
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['ts', 'js', 'json'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/\\.cache/'],
      testMatch: ['<rootDir>/test/secure/**/*.secure.test.ts'],
      testTimeout: 300_000,
      globalSetup: '<rootDir>/test/secure/global-setup.ts',
      globalTeardown: '<rootDir>/test/secure/global-teardown.ts',
    },
  ],
};
