import { BSON, Document } from 'mongodb';
import { AddressInfo, createConnection, createServer, Server, Socket } from 'node:net';
import { inflateSync } from 'node:zlib';

/**
 * A TCP proxy in front of the run's MongoDB-wire server that fails chosen commands (docs/reliability.md#every-error-code-asserted): the store failures the API answers after authentication, which
 * a stopped server cannot produce (authentication reads MongoDB first).
 *
 * It reads the client's side of the wire protocol only to find each request's command and
 * collection (OP_MSG: the first key of the kind-0 body and its value); a request that matches a
 * rule is answered by the proxy with a command error and never reaches the server. Everything
 * else, and every answer of the server, is passed on byte for byte. The driver sends one request
 * at a time per connection, so an answer written by the proxy never interleaves with the server's.
 */
export interface FaultRule {
  /** The collection the command names (`find: "apps"` → `apps`); any when absent. */
  collection?: string;
  /** Command names as the driver sends them (`find`, `insert`, `update`, `delete`, `findAndModify`, `aggregate`…); any when absent. */
  commands?: string[];
  /** The database (`$db`); any when absent. */
  database?: string;
}

export interface SeenCommand {
  database?: string;
  command: string;
  collection?: string;
  opCode: number;
  /** Answered by the proxy with an error instead of reaching the server. */
  failed: boolean;
}

/** A rule in force until removed; `hits` counts the requests it failed. */
export interface Fault {
  readonly rule: FaultRule;
  hits: number;
  remove(): void;
}

export const OP_QUERY = 2004;
const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;
const NOOP = 0;
const ZLIB = 2;

/**
 * InternalError: not in the driver's retryable-read/-write sets and not a "not primary" or
 * "recovering" error, so the driver fails the operation at once, keeps its pool and does not
 * mark the server unknown.
 */
const FAULT_ERROR = { code: 1, codeName: 'InternalError' };

export class MongoFaultProxy {
  /** Every command the clients sent through the proxy, in order. */
  readonly seen: SeenCommand[] = [];
  private readonly faults = new Set<Fault>();
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  private target!: URL;
  private nextRequestId = 0x7f000000; // far above the driver's own ids, so log lines are easy to tell apart

  /** Listens on a free loopback port in front of `mongoUrl` (a `mongodb://host:port/…` URL). */
  static async start(mongoUrl: string): Promise<MongoFaultProxy> {
    const proxy = new MongoFaultProxy();
    proxy.target = new URL(mongoUrl);
    proxy.server = createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The target's URL (its options kept) with the proxy as its host. */
  get url(): string {
    const url = new URL(this.target.href);
    url.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return url.href;
  }

  /** Fails every request matching `rule` until the returned fault is removed. */
  fail(rule: FaultRule): Fault {
    const faults = this.faults;
    const fault: Fault = { rule, hits: 0, remove: () => faults.delete(fault) };
    faults.add(fault);
    return fault;
  }

  /** Runs `action` with `rule` in force, then lifts it; answers what the action returned and how many requests were failed. */
  async failing<T>(rule: FaultRule, action: () => Promise<T>): Promise<{ result: T; hits: number }> {
    const fault = this.fail(rule);
    try {
      return { result: await action(), hits: fault.hits };
    } finally {
      fault.remove();
    }
  }

  async stop(): Promise<void> {
    this.faults.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port || 27017) });
    this.sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    upstream.pipe(client);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const answer = this.intercept(message);
        if (answer) client.write(answer);
        else if (answer === undefined) upstream.write(message);
      }
    });
  }

  /**
   * What to do with one client message: undefined passes it on, a buffer is the proxy's answer,
   * null drops it (a failed fire-and-forget request, which expects no answer).
   */
  private intercept(message: Buffer): Buffer | null | undefined {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    let parsed: { body: Document; flags: number } | undefined;
    try {
      parsed = parse(opCode, message.subarray(16));
    } catch {
      parsed = undefined; // not ours to judge: the server answers what it cannot read
    }
    if (!parsed) return undefined;
    const { body, flags } = parsed;
    const command = Object.keys(body)[0] ?? '';
    const named = body[command];
    const collection = typeof named === 'string' ? named : typeof body.collection === 'string' ? body.collection : undefined; // getMore names it apart
    const database = typeof body.$db === 'string' ? body.$db : undefined;
    // Only OP_MSG (and OP_MSG inside OP_COMPRESSED) is failed: the driver's legacy OP_QUERY is its handshake.
    const fault = opCode === OP_QUERY ? undefined : [...this.faults].find((f) => matches(f.rule, command, collection, database));
    this.seen.push({ database, command, collection, opCode, failed: fault !== undefined });
    if (!fault) return undefined;
    fault.hits += 1;
    if (flags & MORE_TO_COME) return null;
    const errmsg = `fault injected by the test's MongoDB proxy: ${command} on ${collection ?? database ?? '?'}`;
    return opMsg(requestId, (this.nextRequestId += 1), { ok: 0, errmsg, ...FAULT_ERROR });
  }
}

function matches(rule: FaultRule, command: string, collection: string | undefined, database: string | undefined): boolean {
  if (rule.collection !== undefined && rule.collection !== collection) return false;
  if (rule.database !== undefined && rule.database !== database) return false;
  return rule.commands === undefined || rule.commands.some((c) => c.toLowerCase() === command.toLowerCase());
}

/** The command document of a client message (after its 16-byte header), or undefined for opcodes that carry none we read. */
function parse(opCode: number, payload: Buffer): { body: Document; flags: number } | undefined {
  if (opCode === OP_MSG) return parseOpMsg(payload);
  if (opCode === OP_QUERY) {
    // flags, fullCollectionName (cstring), numberToSkip, numberToReturn, query document
    const nameEnd = payload.indexOf(0, 4);
    const fullName = payload.toString('utf8', 4, nameEnd);
    const body = BSON.deserialize(payload.subarray(nameEnd + 9), { promoteLongs: false, promoteBuffers: true });
    return { body: { ...body, $db: fullName.split('.')[0] }, flags: 0 };
  }
  if (opCode === OP_COMPRESSED) {
    // originalOpcode, uncompressedSize, compressorId, compressed message (without its header)
    const original = payload.readInt32LE(0);
    const compressor = payload.readUInt8(8);
    const data = payload.subarray(9);
    const inflated = compressor === NOOP ? data : compressor === ZLIB ? inflateSync(data) : undefined; // snappy/zstd: passed on unread
    return inflated && original === OP_MSG ? parseOpMsg(inflated) : undefined;
  }
  return undefined;
}

/** OP_MSG: flagBits, then sections up to the optional checksum; kind 0 is the body, kind 1 a document sequence (skipped). */
function parseOpMsg(payload: Buffer): { body: Document; flags: number } {
  const flags = payload.readUInt32LE(0);
  const end = flags & CHECKSUM_PRESENT ? payload.length - 4 : payload.length;
  let body: Document | undefined;
  for (let offset = 4; offset < end;) {
    const kind = payload.readUInt8(offset);
    const size = payload.readInt32LE(offset + 1); // a BSON document's or a sequence's size, both counting themselves
    if (kind === 0) body = BSON.deserialize(payload.subarray(offset + 1, offset + 1 + size), { promoteLongs: false, promoteBuffers: true });
    offset += 1 + size;
  }
  if (!body) throw new Error('OP_MSG without a body section');
  return { body, flags };
}

/** An OP_MSG answer with one kind-0 section. */
function opMsg(responseTo: number, requestId: number, document: Document): Buffer {
  const bson = BSON.serialize(document);
  const head = Buffer.alloc(21); // header (16), flagBits (4), section kind 0 (1)
  head.writeInt32LE(head.length + bson.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(OP_MSG, 12);
  return Buffer.concat([head, bson]);
}
