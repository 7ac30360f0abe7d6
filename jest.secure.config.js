// `npm run test:secure`: Kafka over TLS with SASL/SCRAM and ACLs (test/secure), not part of `npm test`.
// test/secure/global-setup.ts starts a secure 3-node stack of its own, from scratch, on its own ports and run
// directory (never the default stack's), provisions its topics and ACLs, and the teardown wipes it.
// The same Jest settings as the cluster tests' (jest.cluster.config.js), for another directory and stack.
const cluster = require('./jest.cluster.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...cluster,
  projects: [
    {
      ...cluster.projects[0],
      displayName: 'secure',
      testMatch: ['<rootDir>/test/secure/**/*.secure.test.ts'],
      testTimeout: 300_000,
      globalSetup: '<rootDir>/test/secure/global-setup.ts',
      globalTeardown: '<rootDir>/test/secure/global-teardown.ts',
    },
  ],
};
