import { ApiError } from '../errors';
import { checkHealthCheck, healthCheckPlan } from './health-check';

const refusal = (value: unknown): string => {
  try {
    checkHealthCheck(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('apps:bad_health_check');
    return (error as ApiError).message;
  }
  throw new Error('accepted');
};

describe('an app healthCheck (docs/contract.md#verified-releases)', () => {
  const url = 'https://app.example.com/healthz';

  it('fills in every default and runs as milliseconds', () => {
    const check = checkHealthCheck({ url })!;
    expect(check).toEqual({
      url,
      expectStatus: '200-399',
      interval: '10s',
      timeout: '5s',
      failureThreshold: 3,
      bake: '2m',
      initialDelay: '0s',
    });
    expect(healthCheckPlan(check)).toEqual({
      url,
      expectStatus: [200, 399],
      intervalMs: 10_000,
      timeoutMs: 5_000,
      failureThreshold: 3,
      bakeMs: 120_000,
      initialDelayMs: 0,
    });
    expect(healthCheckPlan(checkHealthCheck({ url, expectStatus: 204, bodyIncludes: 'ok', bake: '30m' })!)).toMatchObject({
      expectStatus: [204, 204],
      bodyIncludes: 'ok',
      bakeMs: 30 * 60_000,
    });
    expect(checkHealthCheck(undefined)).toBeUndefined();
  });

  it('refuses what is out of bounds, naming the field', () => {
    expect(refusal({})).toMatch(/^healthCheck\.url must be an http\(s\) URL/);
    expect(refusal({ url: 'ftp://x' })).toMatch(/^healthCheck\.url/);
    expect(refusal({ url: 'https://user:pw@app.example.com/' })).toBe('healthCheck.url must not carry credentials.');
    expect(refusal({ url, interval: '500ms' })).toMatch(/^healthCheck\.interval must be between 1 s and 600 s/);
    expect(refusal({ url, interval: 'often' })).toMatch(/^healthCheck\.interval must be a duration/);
    expect(refusal({ url, timeout: '20s' })).toBe('healthCheck.timeout (20s) must not be longer than interval (10s).');
    expect(refusal({ url, failureThreshold: 0 })).toMatch(/^healthCheck\.failureThreshold/);
    expect(refusal({ url, failureThreshold: 2.5 })).toMatch(/^healthCheck\.failureThreshold/);
    expect(refusal({ url, bake: '3h' })).toMatch(/^healthCheck\.bake must be between/);
    expect(refusal({ url, interval: '1s', timeout: '1s', bake: '2h' })).toMatch(
      /^healthCheck\.bake \/ interval must be at most 1000 probes/,
    );
    expect(refusal({ url, expectStatus: '399-200' })).toMatch(/^healthCheck\.expectStatus/);
    expect(refusal({ url, bodyIncludes: '' })).toMatch(/^healthCheck\.bodyIncludes/);
    expect(refusal({ url, retries: 3 })).toBe('healthCheck.retries is not a setting of a health check.');
    expect(refusal([url])).toBe('healthCheck must be an object.');
  });
});
