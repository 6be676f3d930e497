/**
 * The soak suite (`npm run test:soak`): the whole product as real processes under faults for
 * SOAK_MINUTES (default 10), beyond `npm test`'s budget. One file, its own servers.
 */
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const { transform, transformIgnorePatterns } = require('../../jest.config'); // the same ts-jest set-up as `npm test`

module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/soak/**/*.soak-spec.ts'],
  transform,
  transformIgnorePatterns,
  testTimeout: (minutes + 20) * 60_000,
  maxWorkers: 1,
};
