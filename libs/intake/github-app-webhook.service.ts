import { Injectable, Logger } from '@nestjs/common';
import { AppsService } from '../apps';
import { ApiError, Errors, storeCall } from '../errors';
import { GithubApp, GithubInstallationsRepository } from '../github';
import { Accepted, IntakeAnswer, IntakeRequest, IntakeService } from './intake.service';
import { verifyGithubSignature } from './signatures';
import { header, readPayload } from './webhooks';

/** One user's share of an App delivery. */
export interface RoutedDelivery {
  user: string;
  app: string;
  httpStatus: number;
  body: Accepted | { status: string; reason: string; uuid: string };
}

export type AppWebhookAnswer = IntakeAnswer | { httpStatus: 202; body: { status: 'routed'; deliveries: RoutedDelivery[]; uuid: string } };

/**
 * `POST /1/github/webhook` (docs/contract.md#the-github-app): the GitHub App's one webhook for every repository it is
 * installed on. Verified with GITHUB_APP_WEBHOOK_SECRET (no Basic auth: GitHub sends none), then
 * each event goes to the apps configured for its repository by the users who linked its
 * installation, as if delivered to each user's `/1/deploy`.
 */
@Injectable()
export class GithubAppWebhookService {
  private readonly logger = new Logger(GithubAppWebhookService.name);

  constructor(
    private readonly githubApp: GithubApp,
    private readonly installations: GithubInstallationsRepository,
    private readonly apps: AppsService,
    private readonly intake: IntakeService,
  ) {}

  async deliver(request: Omit<IntakeRequest, 'user' | 'viaApp'>): Promise<AppWebhookAnswer> {
    const secret = this.githubApp.webhookSecret;
    if (!secret)
      throw ApiError.of(
        Errors.deployGithubNoApp,
        'This service has no GitHub App configured (GITHUB_APP_ID); deliver webhooks to /1/deploy instead.',
      );
    if (!(await verifyGithubSignature(secret, request.rawBody, header(request.headers, 'x-hub-signature-256')))) {
      throw ApiError.of(Errors.deployAuthBadSignature, "The X-Hub-Signature-256 header does not match the GitHub App's webhook secret.");
    }
    if (request.rawBody.length === 0) throw ApiError.of(Errors.deployNoPayload);
    const event = header(request.headers, 'x-github-event') ?? 'unknown';
    if (event === 'ping')
      return { httpStatus: 200, body: { status: 'pong', reason: 'GitHub App webhook ping received.', uuid: request.uuid } };
    const { json } = readPayload(request.contentType, request.rawBody);
    const body = (typeof json === 'object' && json !== null ? json : {}) as {
      installation?: { id?: unknown };
      repository?: { full_name?: unknown };
    };
    const installation = body.installation?.id;
    const repository = body.repository?.full_name;
    if (typeof installation !== 'number' || typeof repository !== 'string') {
      return ignored(request.uuid, `GitHub ${event} events without an installation and a repository deploy nothing.`);
    }
    const deliveries: RoutedDelivery[] = [];
    const failures: ApiError[] = [];
    for (const user of await this.guard(() => this.installations.usersOf(installation))) {
      const app = await this.guard(() => this.apps.forRepository(user, repository));
      if (!app) continue;
      try {
        const answer = await this.intake.deliver({ ...request, user, viaApp: true });
        deliveries.push({ user, app: app.record.name, ...answer });
      } catch (error) {
        // One user's failure (e.g. their deployment could not start) is theirs; the others still get the event.
        if (!(error instanceof ApiError)) throw error;
        this.logger.warn(`App delivery of ${event} for ${repository} to ${user} failed: ${error.code} ${error.message}`);
        failures.push(error);
        deliveries.push({
          user,
          app: app.record.name,
          httpStatus: error.status,
          body: { status: 'error', reason: `${error.code}: ${error.message}`, uuid: request.uuid },
        });
      }
    }
    if (deliveries.length === 0) {
      return ignored(
        request.uuid,
        `No app is configured for ${repository} by a user who linked installation ${installation} (POST /1/auth/github/installations).`,
      );
    }
    // Nobody took it: GitHub sees the error (a 503 it may redeliver), as /1/deploy would answer it.
    if (failures.length === deliveries.length) throw failures[0];
    if (deliveries.length === 1) return { httpStatus: deliveries[0].httpStatus as 200 | 202, body: deliveries[0].body } as IntakeAnswer;
    return { httpStatus: 202, body: { status: 'routed', deliveries, uuid: request.uuid } };
  }

  private guard<T>(call: () => Promise<T>): Promise<T> {
    return storeCall(Errors.deployDbFailedToStorePayload, call, {
      message: (cause) => `The delivery could not be routed (${cause.message}); nothing was started. Deliver the webhook again shortly.`,
    });
  }
}

function ignored(uuid: string, reason: string): IntakeAnswer {
  return { httpStatus: 200, body: { status: 'ignored', reason, uuid } };
}
