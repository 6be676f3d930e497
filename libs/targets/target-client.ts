import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { OutboundGuard, OutboundPolicy } from './outbound-guard';
import { multipartStream, MultipartPart, newBoundary } from './multipart';
import { HttpAnswer, httpCall } from './http-call';
import { parseStatus, StatusShapeError, statusUrlFor } from './status';
import { excerpt, isRetryableStatus, redactUrl, shortExcerpt, TargetError } from './target-error';
import { ActivateResult, ArchiveSource, CallOptions, DeploymentPackage, DeploymentTarget, PackageStatus, PushResult } from './types';
import { tarGzToZip } from './zip-repack';

export interface TargetClientOptions {
  /** Default idle timeout per call (30 s). */
  timeoutMs?: number;
  /** Largest answer read from a receiver (1 MiB). */
  maxResponseBytes?: number;
  userAgent?: string;
  /**
   * Which receiver hosts may be called (see outbound-guard.ts): link-local and cloud metadata
   * addresses are refused unless allowed; loopback and private ranges pass unless denied.
   */
  outbound?: OutboundPolicy;
}

export const TARGET_CLIENT_OPTIONS = Symbol('TARGET_CLIENT_OPTIONS');

/**
 * The answers to an ACTIVATE push that say the receiver does not know the operation (an older
 * receiver: 400 `receiver:invalid_package`, a route or method it lacks, 422, 501), after which
 * the release is uploaded instead (docs/contract.md#activate). Authentication (401, 403), limits
 * (413, 429) and server failures (5xx but 501) are failures like any upload's.
 */
export const ACTIVATE_REFUSED_STATUSES: readonly number[] = [400, 404, 405, 410, 422, 501];

/**
 * The only code that talks to deployment receivers (spec section 4). Stateless: every call
 * takes the target, so one instance serves all apps. Usable with Nest (TargetsModule) or
 * plainly as `new TargetClient()`.
 */
@Injectable()
export class TargetClient {
  private readonly options: Required<Omit<TargetClientOptions, 'outbound'>>;
  private readonly guard: OutboundGuard;

  constructor(@Optional() @Inject(TARGET_CLIENT_OPTIONS) options: TargetClientOptions = {}) {
    const { outbound, ...rest } = options;
    this.options = { timeoutMs: 30_000, maxResponseBytes: 1024 * 1024, userAgent: 'deploy-webhooks', ...rest };
    this.guard = new OutboundGuard(outbound);
  }

  /** Uploads the package and its archives, streamed; resolves with the receiver's id for it. */
  async push(target: DeploymentTarget, pkg: DeploymentPackage, archives: ArchiveSource[], options: CallOptions = {}): Promise<PushResult> {
    const url = this.checkedUrl(target.url, 'url');
    const zip = target.archiveFormat === 'zip';
    const parts: MultipartPart[] = [
      { name: 'package', contentType: 'application/json', body: JSON.stringify(pkg) },
      ...archives.map((archive): MultipartPart => {
        const id = archive.id ?? randomUUID();
        return {
          name: `archive-${id}`,
          filename: zip ? `${id}.zip` : `${id}.tar.gz`,
          contentType: zip ? 'application/zip' : 'application/gzip',
          body: zip ? () => tarGzToZip(archive.open()) : () => archive.open(),
        };
      }),
    ];
    const boundary = newBoundary();
    const answer = await this.call(target, 'url', {
      method: 'POST',
      url,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, // sent chunked: a stream has no length
      body: multipartStream(parts, boundary),
      ...options,
    });
    const doc = this.json(target, url, answer) as { _doc?: unknown } | null;
    if (typeof doc?._doc !== 'string' || doc._doc === '') throw this.malformed(target, url, answer, 'answer has no "_doc"');
    return { remoteId: doc._doc };
  }

  /**
   * Pushes an ACTIVATE package (no archive part; docs/contract.md#activate). A receiver that does
   * not know the operation refuses it with one of ACTIVATE_REFUSED_STATUSES: answered as
   * `refused`, so the caller can upload the release instead; every other failure is thrown.
   */
  async activate(target: DeploymentTarget, pkg: DeploymentPackage, options: CallOptions = {}): Promise<ActivateResult> {
    if (pkg.operation !== 'ACTIVATE' || !pkg.activates)
      throw new TargetError('not an ACTIVATE package', { kind: 'config', retryable: false });
    try {
      return await this.push(target, pkg, [], options);
    } catch (error) {
      if (!(error instanceof TargetError) || error.kind !== 'status' || !ACTIVATE_REFUSED_STATUSES.includes(error.status!)) throw error;
      const said = error.bodyExcerpt ? `: ${shortExcerpt(error.bodyExcerpt, 200)}` : '';
      return { refused: `the receiver refused the ACTIVATE with HTTP ${error.status}${said}` };
    }
  }

  /** Reads the package status from `statusUrl`; malformed answers are TargetErrors, never passed on. */
  async status(target: DeploymentTarget, remoteId: string, options: CallOptions = {}): Promise<PackageStatus> {
    if (!target.statusUrl) throw new TargetError('the target has no statusUrl to poll', { kind: 'config', retryable: false });
    const url = this.checkedUrl(checkedStatusUrl(target.statusUrl, remoteId), 'statusUrl');
    const answer = await this.call(target, 'statusUrl', { method: 'GET', url, headers: { accept: 'application/json' }, ...options });
    try {
      return parseStatus(this.json(target, url, answer));
    } catch (err) {
      if (err instanceof StatusShapeError) throw this.malformed(target, url, answer, err.message);
      throw err;
    }
  }

  private async call(
    target: DeploymentTarget,
    setting: string,
    call: Omit<Parameters<typeof httpCall>[0], 'maxResponseBytes'>,
  ): Promise<HttpAnswer> {
    const lookup = await this.guard.check(call.url, setting);
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...call.headers };
    if (target.username !== undefined) headers.authorization = `Basic ${basicToken(target)}`;
    const answer = await httpCall({
      timeoutMs: this.options.timeoutMs,
      ...call,
      headers,
      lookup,
      maxResponseBytes: this.options.maxResponseBytes,
    });
    if (answer.status < 200 || answer.status > 299) {
      throw new TargetError(`${call.method} ${redactUrl(call.url)} answered HTTP ${answer.status}`, {
        kind: 'status',
        retryable: isRetryableStatus(answer.status),
        status: answer.status,
        bodyExcerpt: excerpt(answer.text, secrets(target)),
      });
    }
    return answer;
  }

  private json(target: DeploymentTarget, url: string, answer: HttpAnswer): unknown {
    try {
      return JSON.parse(answer.text);
    } catch {
      throw this.malformed(target, url, answer, 'answer is not JSON');
    }
  }

  private malformed(target: DeploymentTarget, url: string, answer: HttpAnswer, problem: string): TargetError {
    return new TargetError(`${redactUrl(url)} broke the receiver protocol: ${problem}`, {
      kind: 'malformed',
      retryable: false,
      status: answer.status,
      bodyExcerpt: excerpt(answer.text, secrets(target)),
    });
  }

  private checkedUrl(url: string, setting: string): string {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
      throw new TargetError(`the target's ${setting} is not an http(s) URL: ${redactUrl(url)}`, { kind: 'config', retryable: false });
    }
    return url;
  }
}

/**
 * statusUrlFor, refusing a result that points at another host than the template (a `{{id}}`
 * inside the host part lets a receiver's id pick the host) or climbs out of the path with `..`.
 */
export function checkedStatusUrl(statusUrl: string, remoteId: string): string {
  const placeholder = /\{\{\s*id\s*\}\}/g;
  const refuse = (why: string) =>
    new TargetError(`the status URL for the receiver's id ${JSON.stringify(remoteId.slice(0, 100))} is refused: ${why}`, {
      kind: 'config',
      retryable: false,
    });
  const host = originOf(statusUrl.replace(placeholder, 'a'));
  if (host === undefined || host !== originOf(statusUrl.replace(placeholder, 'b')))
    throw refuse(`the statusUrl ${redactUrl(statusUrl)} is not a URL with a fixed host`);
  if (remoteId === '.' || remoteId === '..') throw refuse('the id is a relative path segment');
  let url: string;
  try {
    url = statusUrlFor(statusUrl, remoteId);
  } catch {
    throw refuse('it is not a valid URL');
  }
  if (originOf(url) !== host) throw refuse(`it would leave ${host}`);
  return url;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function basicToken(target: DeploymentTarget): string {
  return Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64');
}

function secrets(target: DeploymentTarget): string[] {
  return target.password ? [target.password, basicToken(target)] : [];
}
