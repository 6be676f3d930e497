/**
 * One Jest run for unit tests (beside the code, *.spec.ts) and integration / end-to-end tests
 * (test/**\/*.e2e-spec.ts). The global setup starts one Temporal dev server and one
 * MongoDB-wire server for the whole run; each test file isolates itself with its own
 * database name and task queue. Application logs go to the run's log files, not the console
 * (test/support/app-logs.ts); the reporter names them under a failing test file.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/workflows', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/chaos/'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // content-disposition (under @fastify/static) ships ES modules only; Node requires them natively, Jest's loader does not.
    '/node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/fuzz-seed.ts'],
  reporters: ['default', '<rootDir>/test/support/app-logs-reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
