/**
 * The soak suite (`npm run test:soak`): the whole product as real processes under faults for
 * SOAK_MINUTES (default 10), beyond `npm test`'s budget. One file, its own servers.
 */
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/soak/**/*.soak-spec.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: (minutes + 20) * 60_000,
  maxWorkers: 1,
};
