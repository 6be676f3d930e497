/**
 * The cluster suite (`npm run test:cluster`): the product against a real Temporal cluster (the
 * server built from its Go module, one process per service, on PostgreSQL, mutual TLS), with
 * gateways and workers killed and restarted. Not part of `npm test`; docs/operations.md, Running
 * on a Temporal cluster.
 */
const { transform, transformIgnorePatterns } = require('../../jest.config'); // the same ts-jest set-up as `npm test`

module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
  transform,
  transformIgnorePatterns,
  testTimeout: 20 * 60_000,
  maxWorkers: 1,
};
