import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestCertificates } from '../../test/support/certificates';
import { temporalConnectionOptions } from '../deployments/temporal-connection';
import { ConfigError, Settings } from './settings';
import { loadServiceSettings } from './service-settings';

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
    expect(() => loadServiceSettings({ ENCRYPTION_KEY: 'a'.repeat(64) })).toThrow(/MONGO_URL: is required/);
    expect(() => loadServiceSettings({ MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'abc' })).toThrow(/ENCRYPTION_KEY/);
    const config = loadServiceSettings({ MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'a'.repeat(64) });
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.temporal.taskQueue).toBe('deployments');
  });

  it('reads the variables through one schema: unset and empty are alike, defaults derive, each bad one is named in our words', () => {
    const base = { MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'a'.repeat(64) };
    const config = loadServiceSettings({
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
    expect(() => loadServiceSettings({ ...base, MONGO_URL: 'http://x' })).toThrow(
      new ConfigError('MONGO_URL', 'expected a mongodb: or mongodb+srv: URL, got "http://x"'),
    );
    expect(() => loadServiceSettings({ ...base, LOG_LEVEL: 'loud' })).toThrow(
      new ConfigError('LOG_LEVEL', 'expected one of error, warn, log, debug, got "loud"'),
    );
    expect(() => loadServiceSettings({ ...base, FEED_MAX_PER_USER: '0' })).toThrow(
      new ConfigError('FEED_MAX_PER_USER', 'must be at least 1, got 0'),
    );
    expect(() => loadServiceSettings({ ...base, TARGET_DENY: '10.0.0.0/99' })).toThrow(
      new ConfigError('TARGET_DENY', 'outbound deny rule "10.0.0.0/99": bad prefix length'),
    );
    expect(() => loadServiceSettings({ ...base, TARGET_ALLOW: 'receiver:99999' })).toThrow(
      new ConfigError('TARGET_ALLOW', 'outbound allow rule "receiver:99999": bad port (1 to 65535)'),
    );
    expect(() => loadServiceSettings({ ...base, GITHUB_APP_ID: '1' })).toThrow(
      /Invalid setting GITHUB_APP_PRIVATE_KEY: is required with GITHUB_APP_ID/,
    );
    expect(() => new Settings({ FLAG: 'maybe' }).bool('FLAG', false)).toThrow(
      new ConfigError('FLAG', 'expected true or false, got "maybe"'),
    );
  });
});

describe('Temporal connection settings (docs/operations.md, Connecting to a secured Temporal)', () => {
  const base = { MONGO_URL: 'mongodb://x', ENCRYPTION_KEY: 'a'.repeat(64) };
  const certs = makeTestCertificates();
  afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

  it('is a plain connection unless asked for TLS', () => {
    expect(loadServiceSettings(base).temporal).toMatchObject({ address: '127.0.0.1:7233', tls: undefined, apiKey: undefined });
    expect(loadServiceSettings({ ...base, TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({ reloadIntervalMs: 30_000 });
  });

  it('reads each PEM as text (line breaks as \\n allowed) or from a file, keeping the path to read it again', () => {
    const temporal = loadServiceSettings({
      ...base,
      TEMPORAL_TLS_CA: certs.paths.ca,
      TEMPORAL_TLS_CERT: certs.pem.clientCert.replace(/\n/g, '\\n'),
      TEMPORAL_TLS_KEY: certs.paths.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    }).temporal;
    expect(temporal.tls).toEqual({
      ca: { text: certs.pem.ca, path: certs.paths.ca },
      cert: { text: certs.pem.clientCert },
      key: { text: certs.pem.clientKey, path: certs.paths.clientKey },
      serverName: 'temporal.internal',
      reloadIntervalMs: 30_000,
    });
  });

  it('wants a client certificate with its own key', () => {
    expect(() => loadServiceSettings({ ...base, TEMPORAL_TLS_CERT: certs.paths.clientCert })).toThrow(
      new ConfigError('TEMPORAL_TLS_KEY', 'is required with TEMPORAL_TLS_CERT (a client certificate needs its private key)'),
    );
    expect(() => loadServiceSettings({ ...base, TEMPORAL_TLS_KEY: certs.paths.clientKey })).toThrow(
      new ConfigError('TEMPORAL_TLS_CERT', 'is required with TEMPORAL_TLS_KEY (a private key needs its client certificate)'),
    );
    expect(() =>
      loadServiceSettings({ ...base, TEMPORAL_TLS_CERT: certs.paths.clientCert, TEMPORAL_TLS_KEY: certs.paths.serverKey }),
    ).toThrow(new ConfigError('TEMPORAL_TLS_KEY', "is not the private key of TEMPORAL_TLS_CERT's certificate"));
  });

  it('names the setting whose file is missing or holds no PEM of its kind', () => {
    const missing = join(certs.dir, 'nowhere.pem');
    expect(() => loadServiceSettings({ ...base, TEMPORAL_TLS_CA: missing })).toThrow(
      new ConfigError('TEMPORAL_TLS_CA', `expected PEM text or the path of a PEM file; cannot read "${missing}" (ENOENT)`),
    );
    const keyWithoutHeader = certs.pem.clientKey.split('\n')[1];
    expect(() => loadServiceSettings({ ...base, TEMPORAL_TLS_CERT: certs.paths.clientCert, TEMPORAL_TLS_KEY: keyWithoutHeader })).toThrow(
      new ConfigError('TEMPORAL_TLS_KEY', 'expected PEM text or the path of a PEM file; cannot read the file it names (ENOENT)'),
    );
    expect(() => loadServiceSettings({ ...base, TEMPORAL_TLS_CA: certs.paths.clientKey })).toThrow(
      new ConfigError('TEMPORAL_TLS_CA', `"${certs.paths.clientKey}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`),
    );
    expect(() =>
      loadServiceSettings({ ...base, TEMPORAL_TLS_CERT: certs.paths.clientCert, TEMPORAL_TLS_KEY: certs.pem.clientCert }),
    ).toThrow(new ConfigError('TEMPORAL_TLS_KEY', 'the value holds no PEM private key (-----BEGIN PRIVATE KEY-----)'));
  });

  it('sends an API key only over TLS: the key turns TLS on, and is refused with TEMPORAL_TLS=false', () => {
    expect(loadServiceSettings({ ...base, TEMPORAL_API_KEY: 'cloud-key' }).temporal).toMatchObject({ tls: {}, apiKey: 'cloud-key' });
    expect(loadServiceSettings({ ...base, TEMPORAL_API_KEY: 'cloud-key' }).temporal.tls).toEqual({ reloadIntervalMs: 30_000 });
    expect(() => loadServiceSettings({ ...base, TEMPORAL_API_KEY: 'cloud-key', TEMPORAL_TLS: 'false' })).toThrow(
      new ConfigError('TEMPORAL_API_KEY', 'is only sent over TLS, but TEMPORAL_TLS is false (unset TEMPORAL_TLS, or the API key)'),
    );
    expect(() => loadServiceSettings({ ...base, TEMPORAL_TLS_CA: certs.paths.ca, TEMPORAL_TLS: 'no' })).toThrow(
      new ConfigError('TEMPORAL_TLS_CA', 'needs TLS, but TEMPORAL_TLS is false'),
    );
  });

  it('turns into the SDK options both connections take, reading files again each time', () => {
    const temporal = loadServiceSettings({
      ...base,
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_TLS_CA: certs.paths.ca,
      TEMPORAL_TLS_CERT: certs.paths.clientCert,
      TEMPORAL_TLS_KEY: certs.paths.clientKey,
      TEMPORAL_API_KEY: 'cloud-key',
    }).temporal;
    expect(temporalConnectionOptions(temporal)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {
        serverNameOverride: undefined,
        serverRootCACertificate: Buffer.from(certs.pem.ca),
        clientCertPair: { crt: Buffer.from(certs.pem.clientCert), key: Buffer.from(certs.pem.clientKey) },
      },
      apiKey: 'cloud-key',
    });
    writeFileSync(certs.paths.ca, certs.pem.serverCert);
    expect(temporalConnectionOptions(temporal).tls?.serverRootCACertificate).toEqual(Buffer.from(certs.pem.serverCert));
    writeFileSync(certs.paths.ca, certs.pem.ca);
  });
});
