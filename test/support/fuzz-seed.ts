import fc from 'fast-check';

/**
 * Property-based tests run from a fixed seed so `npm test` is reproducible: a failure in CI is
 * the same failure on a laptop. `FUZZ_SEED=<n>` picks another seed; `FUZZ_SEED=random` explores
 * new cases (fast-check prints the seed and path of any counterexample it finds).
 */
const DEFAULT_SEED = 20_261_122;
const chosen = process.env.FUZZ_SEED;
if (chosen !== 'random') {
  const seed = chosen === undefined || chosen === '' ? DEFAULT_SEED : Number(chosen);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", not ${JSON.stringify(chosen)}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
