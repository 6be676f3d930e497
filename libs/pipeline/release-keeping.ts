import { Inject, Injectable, Logger } from '@nestjs/common';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import { KeyedDigests } from '../secrets';
import { BlobStore } from '../tarballs';
import { ReleaseRecord, ReleasesRepository } from '../releases/releases.repository';

export interface ReleaseSettings {
  /** Tarballs of this many newest releases per app stay in blob storage (RELEASES_KEPT). */
  kept: number;
}
export const RELEASE_SETTINGS = Symbol('RELEASE_SETTINGS');

/** What a succeeded deployment says about the release it makes (numbered and made live here). */
export type SucceededDeployment = Omit<ReleaseRecord, '_id' | 'version' | 'createdAt' | 'live'>;

/**
 * The digest of an env as delivered, independent of key order: an HMAC under a key derived from
 * ENCRYPTION_KEY, so whoever reads releases cannot test guesses of its values offline. Releases
 * made before carry a plain `sha256:` digest; nothing compares digests, they only tell envs
 * apart (docs/reliability.md#tenant-isolation-review).
 */
export function envDigest(env: Record<string, string>, digests: KeyedDigests): string {
  const sorted = Object.keys(env)
    .sort()
    .map((key) => [key, env[key]]);
  return `hmac-sha256:${digests.hex('env digest', JSON.stringify(sorted))}`;
}

/**
 * The worker's side of releases (docs/contract.md#releases): a succeeded deployment makes the app's next
 * release and goes live; tarballs of the last RELEASES_KEPT releases stay, older ones go.
 * Every step is safe to repeat: the deployment's finish activity may run again on replay.
 */
@Injectable()
export class ReleaseKeeping {
  private readonly logger = new Logger('Releases');

  constructor(
    private readonly releases: ReleasesRepository,
    private readonly deployments: DeploymentsRepository,
    private readonly blobs: BlobStore,
    private readonly digests: KeyedDigests,
    @Inject(RELEASE_SETTINGS) private readonly settings: ReleaseSettings,
  ) {}

  /** The env's digest as its release will show it (envDigest). */
  envDigest(env: Record<string, string>): string {
    return envDigest(env, this.digests);
  }

  async succeeded(done: SucceededDeployment): Promise<ReleaseRecord> {
    // Numbered once: a replayed finish finds the release its deployment made already.
    const release = (await this.releases.forDeployment(done.deployment)) ?? (await this.releases.insertOrGet(await this.numbered(done)));
    await this.releases.setLive(done.user, done.app, release.version);
    await this.prune(done.user, done.app, done.deployment);
    return release;
  }

  /** After an UNDEPLOY nothing of the app is live. */
  async undeployed(user: string, app: string): Promise<void> {
    await this.releases.setLive(user, app, undefined);
  }

  /** A deployment's tarball once it ended: kept while a release keeps it, else removed. */
  async freeTarball(blobId: string, deployment: string): Promise<void> {
    if (!(await this.inUse(blobId, deployment))) await this.blobs.remove(blobId);
  }

  /** Kept by a release, or deployed by another deployment still running (a rollback started before the release was pruned). */
  private async inUse(blobId: string, deployment: string): Promise<boolean> {
    return (await this.releases.keeps(blobId)) || (await this.deployments.usesReleaseBlob(blobId, deployment));
  }

  private async numbered(done: SucceededDeployment): Promise<ReleaseRecord> {
    const version = await this.releases.nextVersion(done.user, done.app);
    return {
      _id: `${done.user}/${done.app}/${version}`,
      user: done.user,
      app: done.app,
      version,
      deployment: done.deployment,
      repository: done.repository,
      commit: done.commit,
      appVersion: done.appVersion,
      envDigest: done.envDigest,
      cause: done.cause,
      by: done.by,
      createdAt: new Date(),
      live: true,
      ...(done.rolledBackTo !== undefined ? { rolledBackTo: done.rolledBackTo } : {}),
      ...(done.blobId ? { blobId: done.blobId } : {}),
      ...(done.retained !== undefined ? { retained: done.retained } : {}),
      ...(done.receiverRelease ? { receiverRelease: done.receiverRelease } : {}),
      ...(done.delivered ? { delivered: done.delivered } : {}),
    };
  }

  /** Releases past the last `kept` lose their tarball (a rollback to them fetches from GitHub again). */
  private async prune(user: string, app: string, deployment: string): Promise<void> {
    for (const old of await this.releases.withBlobBeyond(user, app, this.settings.kept)) {
      await this.releases.dropBlob(old._id);
      if (old.blobId && !(await this.inUse(old.blobId, deployment))) {
        await this.blobs
          .remove(old.blobId)
          .catch((error: Error) => this.logger.warn(`tarball ${old.blobId} of ${old._id} not removed: ${error.message}`));
      }
    }
  }
}
