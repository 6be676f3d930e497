/**
 * The fault-injection suite (`npm run test:chaos`): real processes on the real stack, killed
 * and restarted. Each file starts its own servers; files run one at a time.
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 20 * 60_000,
  maxWorkers: 1,
};
