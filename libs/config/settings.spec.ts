import { ConfigError, Settings } from './settings';
import { loadAppConfig } from './app-config';

describe('Settings', () => {
  it('names the setting when a value is malformed', () => {
    const s = new Settings({ GATEWAY_PORT: 'eighty' });
    expect(() => s.port('GATEWAY_PORT', 3000)).toThrow(new ConfigError('GATEWAY_PORT', 'expected an integer, got "eighty"'));
  });

  it('parses durations', () => {
    expect(new Settings({ T: '90s' }).durationMs('T', '1h')).toBe(90_000);
    expect(new Settings({}).durationMs('T', '1h')).toBe(3_600_000);
    expect(() => new Settings({ T: 'soon' }).durationMs('T', '1h')).toThrow(/Invalid setting T/);
  });

  it('requires MONGO_URL and a 32-byte ENCRYPTION_KEY', () => {
    expect(() => loadAppConfig({ ENCRYPTION_KEY: 'a'.repeat(64) })).toThrow(/MONGO_URL: is required/);
    expect(() => loadAppConfig({ MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'abc' })).toThrow(/ENCRYPTION_KEY/);
    const config = loadAppConfig({ MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'a'.repeat(64) });
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.temporal.taskQueue).toBe('deployments');
  });

  it('reads the variables through one schema: unset and empty are alike, defaults derive, each bad one is named in our words', () => {
    const base = { MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'a'.repeat(64) };
    const config = loadAppConfig({
      ...base,
      GATEWAY_PORT: '',
      GATEWAY_HOST: '0.0.0.0',
      WORKFLOW_BUNDLE: '/app/bundle.js',
      TARGET_ALLOW: '127.0.0.1, receiver.example.com, 127.0.0.1:3100, [::1]:3100, receiver:3100',
    });
    expect(config.gateway).toMatchObject({ port: 3000, publicUrl: 'http://0.0.0.0:3000' });
    expect(config.targets).toEqual({
      allow: ['127.0.0.1', 'receiver.example.com', '127.0.0.1:3100', '[::1]:3100', 'receiver:3100'],
      deny: [],
    });
    expect(config.workflowBundlePath).toBe('/app/bundle.js');
    expect(() => loadAppConfig({ ...base, MONGO_URL: 'http://x' })).toThrow(
      new ConfigError('MONGO_URL', 'expected a mongodb: or mongodb+srv: URL, got "http://x"'),
    );
    expect(() => loadAppConfig({ ...base, LOG_LEVEL: 'loud' })).toThrow(
      new ConfigError('LOG_LEVEL', 'expected one of error, warn, log, debug, got "loud"'),
    );
    expect(() => loadAppConfig({ ...base, FEED_MAX_PER_USER: '0' })).toThrow(
      new ConfigError('FEED_MAX_PER_USER', 'must be at least 1, got 0'),
    );
    expect(() => loadAppConfig({ ...base, TARGET_DENY: '10.0.0.0/99' })).toThrow(
      new ConfigError('TARGET_DENY', 'outbound deny rule "10.0.0.0/99": bad prefix length'),
    );
    expect(() => loadAppConfig({ ...base, TARGET_ALLOW: 'receiver:99999' })).toThrow(
      new ConfigError('TARGET_ALLOW', 'outbound allow rule "receiver:99999": bad port (1 to 65535)'),
    );
    expect(() => loadAppConfig({ ...base, GITHUB_APP_ID: '1' })).toThrow(
      /Invalid setting GITHUB_APP_PRIVATE_KEY: is required with GITHUB_APP_ID/,
    );
    expect(() => new Settings({ FLAG: 'maybe' }).bool('FLAG', false)).toThrow(
      new ConfigError('FLAG', 'expected true or false, got "maybe"'),
    );
  });
});
