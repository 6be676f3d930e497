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
});
