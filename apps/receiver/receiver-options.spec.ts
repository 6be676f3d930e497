import { ConfigError } from '../../libs/config/settings';
import { loadReceiverSettings } from './receiver-options';

describe('loadReceiverSettings', () => {
  it('has defaults for a local receiver', () => {
    const settings = loadReceiverSettings({});
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 3100 });
    expect(settings.options.username).toBeUndefined();
  });

  // Security review finding 4 (docs/reliability.md#security-findings-issue-18-receiver-and-archives): every exhaustion bound is on by default and named by a setting.
  it('bounds the package part, extraction, its ratio, its concurrency and the disk by default', () => {
    expect(loadReceiverSettings({}).options).toMatchObject({
      maxPackageBytes: 1024 * 1024,
      maxExtractedBytes: 4 * 1024 * 1024 * 1024,
      maxCompressionRatio: 100,
      maxConcurrentExtractions: 2,
      minFreeDiskBytes: 256 * 1024 * 1024,
    });
    expect(loadReceiverSettings({ RECEIVER_MAX_CONCURRENT_EXTRACTIONS: '5' }).options.maxConcurrentExtractions).toBe(5);
  });

  it('keeps 5 releases of a retaining app unless RECEIVER_RELEASES_KEPT says otherwise', () => {
    expect(loadReceiverSettings({}).options.releasesKept).toBe(5);
    expect(loadReceiverSettings({ RECEIVER_RELEASES_KEPT: '2' }).options.releasesKept).toBe(2);
  });

  it.each([
    ['RECEIVER_PORT', 'eighty'],
    ['RECEIVER_MAX_ENTRIES', '0'],
    ['RECEIVER_MAX_ARCHIVE_BYTES', '1.5'],
    ['RECEIVER_MAX_PACKAGE_BYTES', '10'],
    ['RECEIVER_MAX_COMPRESSION_RATIO', '0'],
    ['RECEIVER_MAX_CONCURRENT_EXTRACTIONS', '0'],
    ['RECEIVER_MIN_FREE_DISK_BYTES', '-1'],
    ['RECEIVER_RELEASES_KEPT', '0'],
  ])('names the bad setting %s', (name, value) => {
    expect(() => loadReceiverSettings({ [name]: value })).toThrow(ConfigError);
    expect(() => loadReceiverSettings({ [name]: value })).toThrow(name);
  });
});
