/**
 * The fault-injection suite (`npm run test:chaos`): real processes on the real stack, killed
 * and restarted. Each file starts its own servers; files run one at a time.
 */
const { transform, transformIgnorePatterns } = require('../../jest.config'); // the same ts-jest set-up as `npm test`

module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  transform,
  transformIgnorePatterns,
  testTimeout: 20 * 60_000,
  maxWorkers: 1,
};
