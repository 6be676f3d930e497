import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { join } from 'node:path';
import { ConfigError, loadServiceSettings, Settings } from '../../libs/config';
import { startApp } from './apps';
import { GithubServer, STANDIN_FILE } from '../github-standin/github-standin';
import { freePort, ManagedProcess, waitForPort } from './processes';
import { startMongoWireServer, startTemporalDevServer } from './servers';
import { makePrivateStateDir, PRIVATE_UMASK } from './state-dir';
import { repoRoot } from './tools';

/**
 * `npm start`: the whole system on embedded defaults — Temporal dev server with its UI, the
 * MongoDB-wire server, gateway, worker and receiver — each on its port, stopped on Ctrl-C.
 * TEMPORAL_ADDRESS / MONGO_URL point it at existing servers instead. State (Temporal's and
 * MongoDB's data, the encryption key, the admin password) lives in .stack/ across restarts.
 * GITHUB_STANDIN=1 adds a local GitHub stand-in (tools/github-standin/github-standin.ts) for the worker
 * to fetch from, so a deployment can be tried without GitHub (`npm run standin:push`);
 * GITHUB_STANDIN_APP=1 also registers a GitHub App on it (key and webhook secret kept in .stack/).
 * The state directory and what is in it are the user's only (state-dir.ts).
 */
async function main(): Promise<void> {
  const stateDir = process.env.STACK_STATE_DIR ?? join(repoRoot, '.stack', 'dev');
  const logDir = join(stateDir, 'logs');
  // Before anything is written: this process's files and its children's (they inherit the umask).
  process.umask(PRIVATE_UMASK);
  makePrivateStateDir(stateDir);
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const settings = new Settings(process.env);
  const host = settings.string('STACK_HOST', '127.0.0.1');
  const gatewayPort = settings.port('GATEWAY_PORT', 3000);
  const receiverPort = settings.port('RECEIVER_PORT', 3100);
  const temporalPort = settings.port('TEMPORAL_PORT', 7233);
  const temporalUiPort = settings.port('TEMPORAL_UI_PORT', 8233);
  const standin = settings.bool('GITHUB_STANDIN', false);
  const standinPort = settings.port('GITHUB_STANDIN_PORT', 3200);
  const standinApp = standin && settings.bool('GITHUB_STANDIN_APP', false) && !process.env.GITHUB_APP_ID;
  for (const [name, port] of [
    ['GATEWAY_PORT', gatewayPort],
    ['RECEIVER_PORT', receiverPort],
  ] as const) {
    if (!(await isPortFree(port, host))) throw new ConfigError(name, `port ${port} on ${host} is in use; set ${name} to a free port`);
  }
  const adminPassword =
    process.env.ADMIN_PASSWORD ?? persisted(join(stateDir, 'admin-password'), () => randomBytes(12).toString('base64url'));
  const encryptionKey = process.env.ENCRYPTION_KEY ?? persisted(join(stateDir, 'encryption-key'), () => randomBytes(32).toString('hex'));
  // The receiver takes pushes (deploy, UNDEPLOY) and answers statuses: only the worker may, with these.
  const receiverUsername = process.env.RECEIVER_USERNAME ?? 'deployer';
  const receiverPassword =
    process.env.RECEIVER_PASSWORD ?? persisted(join(stateDir, 'receiver-password'), () => randomBytes(18).toString('base64url'));

  const processes: ManagedProcess[] = [];
  let github: GithubServer | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const p of processes.reverse()) await p.stop();
    await github?.stop();
    rmSync(join(stateDir, STANDIN_FILE), { force: true });
  };
  const stopAndExit = () =>
    void stop().then(() => {
      console.log('deploy-webhooks stopped.');
      process.exit(0);
    });
  process.once('SIGINT', stopAndExit);
  process.once('SIGTERM', stopAndExit);

  try {
    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let temporalUi = process.env.TEMPORAL_UI_URL;
    if (!temporalAddress) {
      const temporal = await startTemporalDevServer({
        logDir,
        host,
        port: await portOrFree(temporalPort, host),
        uiPort: await portOrFree(temporalUiPort, host),
        dbFile: join(stateDir, 'temporal.db'),
      });
      processes.push(temporal.process);
      temporalAddress = temporal.address;
      temporalUi = temporal.uiUrl;
    }
    let mongoUrl = process.env.MONGO_URL;
    if (!mongoUrl) {
      const mongo = await startMongoWireServer({ logDir, host, h2File: join(stateDir, 'mongo.h2') });
      processes.push(mongo.process);
      mongoUrl = mongo.url;
    }
    let githubApiUrl = process.env.GITHUB_API_URL;
    if (standin && !githubApiUrl) {
      github = await new GithubServer().start(await portOrFree(standinPort, host), host);
      githubApiUrl = github.url;
      const app = standinApp ? standinGithubApp(stateDir) : undefined;
      if (app)
        github.ci.app = {
          id: app.id,
          slug: 'deploy-webhooks',
          publicKey: createPublicKey(app.privateKey).export({ type: 'spki', format: 'pem' }) as string,
        };
      writeFileSync(
        join(stateDir, STANDIN_FILE),
        JSON.stringify({ github: github.url, gateway: `http://${host}:${gatewayPort}`, appWebhookSecret: app?.webhookSecret }),
        { mode: 0o600 },
      );
    }
    const env: NodeJS.ProcessEnv = {
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_UI_URL: temporalUi ?? 'http://127.0.0.1:8233',
      MONGO_URL: mongoUrl,
      GATEWAY_HOST: host,
      GATEWAY_PORT: String(gatewayPort),
      ADMIN_PASSWORD: adminPassword,
      ENCRYPTION_KEY: encryptionKey,
      BLOB_DIR: process.env.BLOB_DIR ?? join(stateDir, 'blobs'),
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
      ...(githubApiUrl ? { GITHUB_API_URL: githubApiUrl } : {}),
      ...(standinApp
        ? (({ id, privateKey, webhookSecret }) => ({
            GITHUB_APP_ID: String(id),
            GITHUB_APP_PRIVATE_KEY: privateKey,
            GITHUB_APP_WEBHOOK_SECRET: webhookSecret,
          }))(standinGithubApp(stateDir))
        : {}),
      // Apps without a target of their own deploy to the reference receiver started here.
      DEFAULT_TARGET_URL: process.env.DEFAULT_TARGET_URL ?? `http://${host}:${receiverPort}/push`,
      DEFAULT_TARGET_STATUS_URL: process.env.DEFAULT_TARGET_STATUS_URL ?? `http://${host}:${receiverPort}/status/{{id}}`,
      // The receiver's credentials go to it only: another DEFAULT_TARGET_URL keeps its own settings.
      ...(process.env.DEFAULT_TARGET_URL ? {} : { DEFAULT_TARGET_USERNAME: receiverUsername, DEFAULT_TARGET_PASSWORD: receiverPassword }),
      // Loopback and private hosts are refused as targets unless allowed: allow this stack's
      // receiver, on its port only, so no user's target or notification can probe the machine's
      // other ports (docs/reliability.md#tenant-isolation-review).
      TARGET_ALLOW: [process.env.TARGET_ALLOW, hostPort(host, receiverPort)].filter(Boolean).join(','),
      RECEIVER_HOST: host,
      RECEIVER_PORT: String(receiverPort),
      RECEIVER_DEPLOY_DIR: process.env.RECEIVER_DEPLOY_DIR ?? join(stateDir, 'receiver', 'deployed'),
      RECEIVER_STATE_DIR: process.env.RECEIVER_STATE_DIR ?? join(stateDir, 'receiver', 'state'),
      RECEIVER_USERNAME: receiverUsername,
      RECEIVER_PASSWORD: receiverPassword,
    };
    loadServiceSettings({ ...process.env, ...env }); // a bad setting stops start-up here, naming it
    const [worker, receiver, gateway] = (['worker', 'receiver', 'gateway'] as const).map((name) => startApp(name, env, logDir));
    processes.push(worker, receiver, gateway);
    await Promise.all([waitForPort(gateway, host, gatewayPort), waitForPort(receiver, host, receiverPort)]);
    // Ctrl-C in a terminal signals the whole process group, so a child may exit just before our
    // own SIGINT handler runs: report an exit only if no stop has begun a moment later.
    const report = (p: ManagedProcess, code: number) =>
      setTimeout(() => !stopping && console.error(`${p.name} exited with ${code}; see ${p.logFile}`), 250);
    for (const p of processes) p.child.once('exit', (code) => code !== 0 && code !== null && report(p, code));

    console.log(`
deploy-webhooks is up.
  gateway      http://${host}:${gatewayPort}        (admin user: admin, password: ${process.env.ADMIN_PASSWORD ? '$ADMIN_PASSWORD' : adminPassword})
  receiver     http://${host}:${receiverPort}/push   (reference HTTP deployment receiver; user ${receiverUsername}, password in ${process.env.RECEIVER_PASSWORD ? '$RECEIVER_PASSWORD' : join(stateDir, 'receiver-password')})
  temporal     ${temporalAddress}     Web UI: ${temporalUi ?? '(external)'}
  mongodb      ${mongoUrl}${
    github
      ? `
  github       ${github.url}   (GitHub stand-in: npm run standin:push -- <user>:<token> [owner/repo] pushes a new commit${standinApp ? '; GitHub App 1 registered' : ''})`
      : ''
  }
  logs         ${logDir}
Try:  curl -u admin:${process.env.ADMIN_PASSWORD ? '$ADMIN_PASSWORD' : adminPassword} http://${host}:${gatewayPort}/health
Ctrl-C stops everything.`);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : (error as Error).message);
    await stop();
    process.exit(1);
  }
}

function persisted(file: string, create: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = create();
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}

/** An outbound rule for one listener: `host:port`, an IPv6 address in brackets. */
function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The wanted port when free, else any free port (a second stack on one machine still starts). */
async function portOrFree(port: number, host: string): Promise<number> {
  return (await isPortFree(port, host)) ? port : freePort(host);
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

/** The stand-in's GitHub App: id 1, its private key and webhook secret kept in the state dir across restarts. */
function standinGithubApp(stateDir: string): { id: number; privateKey: string; webhookSecret: string } {
  const privateKey = persisted(
    join(stateDir, 'github-app.pem'),
    () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  );
  const webhookSecret = persisted(join(stateDir, 'github-app-webhook-secret'), () => randomBytes(18).toString('base64url'));
  return { id: 1, privateKey, webhookSecret };
}
