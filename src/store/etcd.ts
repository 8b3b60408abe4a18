/**
 * The distributed store: the `Store` contract on a real etcd v3 cluster through the
 * `etcd3` client, laid out as kube-apiserver's etcd3 storage lays it out. Keys are the
 * registry keys exactly as given; a value's resourceVersion is etcd's mod_revision; create
 * is a Txn guarded by create_revision == 0, update and delete are Txns guarded by
 * mod_revision == expected (their failure branch reads the key to tell Conflict from
 * NotFound); lists are ranges at one revision with limit; watches start at
 * `afterRevision + 1` with prev_kv and, after a lost connection, resume from the last
 * revision they delivered, so an etcd restart loses and repeats nothing. Compaction is
 * etcd's own; a read or watch below it is the store's 410. One mapping: a brand-new etcd is
 * at revision 1 before its first write, which the contract calls revision 0.
 */
import { Buffer } from 'node:buffer';
import { Etcd3, Range, type IEvent, type IKeyValue, type IOptions, type IRangeRequest, type IResponseHeader, type KVClient, type Watcher as EtcdWatcher } from 'etcd3';
import { ApiError } from '../api/errors.js';
import { DEFAULT_FUTURE_REVISION_TIMEOUT_MS, DEFAULT_RETAIN_REVISIONS } from './defaults.js';
import { StoreError } from './errors.js';
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions, Watcher } from './types.js';

/** Tuning for `EtcdStore`. */
export interface EtcdStoreOptions {
  /** How long a list at a future revision waits before `Timeout`. Default 3,000 ms. */
  futureRevisionTimeoutMs?: number;
  /** Deadline of each unary etcd call (watches have none). Default 10,000 ms. */
  requestTimeoutMs?: number;
  /**
   * Revisions of history kept: every `compactIntervalMs` the store compacts etcd to the current
   * revision minus this (as kube-apiserver's compactor does; with several API servers on one etcd
   * each may do it, harmlessly). 0 turns it off. Default 10,000, as the other backends.
   */
  retainRevisions?: number;
  /** How often auto-compaction looks. Default 300,000 ms (5 minutes, kube-apiserver's default). */
  compactIntervalMs?: number;
}

/** A key nothing uses: ranges on it cost nothing and still carry the header revision. */
const PROBE_KEY = Buffer.from([0]);
const COMPACTED = /required revision has been compacted/;
const FUTURE = /required revision is a future revision/;
/** Longest a write waits for this store's own watchers to see it (they normally take a millisecond). */
const WATCH_BARRIER_MS = 2_000;

/**
 * Splits an `etcd://host:port[,host:port…]` store URL into the client endpoints
 * (`http://host:port`). Throws an Error naming the URL when it has no endpoint, a path, or a
 * host without a numeric port.
 *
 * @example parseEtcdUrl('etcd://10.0.0.1:2379,10.0.0.2:2379') // ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']
 */
export function parseEtcdUrl(url: string): string[] {
  const bad = (why: string): Error => new Error(`store URL ${JSON.stringify(url)}: ${why}; write it as etcd://host:port or etcd://host1:port1,host2:port2`);
  if (!url.startsWith('etcd://')) throw bad('it does not start with etcd://');
  const rest = url.slice('etcd://'.length).replace(/\/$/, '');
  if (rest === '') throw bad('it names no endpoint');
  if (rest.includes('/')) throw bad('a path or key prefix is not supported');
  return rest.split(',').map((hostPort) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(hostPort.trim());
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw bad(`${JSON.stringify(hostPort)} is not host:port`);
    return `http://${m[1]}:${m[2]}`;
  });
}

/**
 * The smallest key above every key starting with `prefix`, bytewise as etcd orders keys
 * (`"\0"` = no upper bound, for the empty prefix).
 *
 * @example prefixEnd(Buffer.from('/a/')).toString() // '/a0'
 */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * The first key of the range of keys starting with `prefix`; etcd refuses an empty key, so the
 * empty prefix starts at "\0" (with `prefixEnd` "\0", etcd's "every key").
 */
function rangeStart(prefix: string): Buffer {
  return prefix === '' ? Buffer.from([0]) : Buffer.from(prefix);
}

/** A store revision from an etcd one: the empty etcd's revision 1 is the contract's 0. */
function storeRevision(etcdRevision: string | number): number {
  const n = Number(etcdRevision);
  return n <= 1 ? 0 : n;
}

function toKeyValue(kv: IKeyValue): KeyValue {
  return { key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision) };
}

/**
 * An etcd watch event as the contract's: a put with create_revision == mod_revision is a
 * create; a delete carries the last value (from prev_kv) at the delete's revision.
 */
export function toWatchEvent(ev: Pick<IEvent, 'type' | 'kv' | 'prev_kv'>): WatchEvent {
  const prev = ev.prev_kv ? toKeyValue(ev.prev_kv) : undefined;
  if (ev.type === 'Delete') {
    const key = ev.kv.key.toString('utf8');
    const modRevision = Number(ev.kv.mod_revision);
    const kv: KeyValue = prev ? { key, value: prev.value, createRevision: prev.createRevision, modRevision } : { key, value: '', createRevision: 0, modRevision };
    return prev ? { type: 'delete', kv, prev } : { type: 'delete', kv };
  }
  const kv = toKeyValue(ev.kv);
  if (kv.createRevision === kv.modRevision) return { type: 'create', kv };
  return prev ? { type: 'update', kv, prev } : { type: 'update', kv };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A `Store` on an etcd v3 cluster (one or several endpoints of the same cluster).
 * Many skiff API servers may share one etcd: every guarantee comes from etcd itself.
 *
 * @example
 * const store = await EtcdStore.open(['http://127.0.0.1:2379']);
 * const rev = await store.create('/registry/core/services/default/web', '{}');
 * await store.close();
 */
export class EtcdStore implements Store {
  readonly kind = 'etcd';
  /** The client endpoints, e.g. `http://127.0.0.1:2379`. */
  readonly endpoints: readonly string[];
  readonly #client: Etcd3;
  readonly #kv: Kv;
  readonly #futureTimeoutMs: number;
  readonly #watches = new Set<EtcdStoreWatch>();
  /** The highest compacted revision seen: a lower bound of etcd's, which only grows. */
  #compacted = 0;
  #closed = false;
  #compactTimer: NodeJS.Timeout | undefined;

  /** Creates the client without contacting etcd; prefer `EtcdStore.open`, which checks the connection. */
  constructor(endpoints: readonly string[], opts: EtcdStoreOptions = {}) {
    if (endpoints.length === 0) throw new Error('EtcdStore needs at least one etcd endpoint, e.g. http://127.0.0.1:2379');
    this.endpoints = [...endpoints];
    this.#futureTimeoutMs = opts.futureRevisionTimeoutMs ?? DEFAULT_FUTURE_REVISION_TIMEOUT_MS;
    const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    const options: IOptions = {
      hosts: [...endpoints],
      // Unary calls get a deadline so an unreachable etcd fails requests instead of hanging them;
      // a watch stream must live forever.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
      // The watch stream reconnects quickly after an etcd restart (100 ms doubling to 2 s), not up to 30 s.
      faultHandling: { watchBackoff: backoff(100) },
      // gRPC's default 4 MiB answer limit would fail a LIST of some 2,500 pods; kube-apiserver
      // lifts it the same way (MaxCallRecvMsgSize = MaxInt32).
      grpcOptions: { 'grpc.max_receive_message_length': 2 ** 31 - 1 },
    };
    this.#client = new Etcd3(options);
    this.#kv = guarded(this.#client.kv, this.endpoints);
    const retain = opts.retainRevisions ?? DEFAULT_RETAIN_REVISIONS;
    if (retain > 0) {
      this.#compactTimer = setInterval(() => {
        // A failed round (etcd away, a race with another compactor) is simply tried again next time.
        this.currentRevision()
          .then((cur) => (cur - retain > this.#compacted ? this.compact(cur - retain) : undefined))
          .catch(() => undefined);
      }, opts.compactIntervalMs ?? 300_000);
      this.#compactTimer.unref();
    }
  }

  /**
   * Connects to `endpoints` and reads the current and compacted revisions; throws an Error
   * naming the endpoints when etcd cannot be reached.
   */
  static async open(endpoints: readonly string[], opts: EtcdStoreOptions = {}): Promise<EtcdStore> {
    const store = new EtcdStore(endpoints, opts);
    try {
      await store.compactedRevision();
    } catch (err) {
      await store.close();
      throw new Error(`cannot open the etcd store: ${messageOf(err)}; start etcd there or pass another --store`);
    }
    return store;
  }

  async currentRevision(): Promise<number> {
    return storeRevision((await this.#headerOf()).revision);
  }

  async compactedRevision(): Promise<number> {
    this.#checkOpen();
    // etcd does not report its compacted revision, but a read below it fails: find the oldest
    // readable revision, starting from the last one known (usually a single read).
    const current = Number((await this.#headerOf()).revision);
    let lo = Math.max(this.#compacted, 1);
    if (!(await this.#readable(lo))) {
      let hi = current; // always readable
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await this.#readable(mid)) hi = mid;
        else lo = mid;
      }
      lo = hi;
    }
    this.#compacted = Math.max(this.#compacted, storeRevision(lo));
    return this.#compacted;
  }

  async create(key: string, value: string): Promise<number> {
    this.#checkOpen();
    const k = Buffer.from(key);
    const res = await this.#kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
    });
    if (!res.succeeded) throw StoreError.keyExists(key);
    return this.#observed(key, Number(res.header.revision));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    const res = await this.#kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const wanted = opts.revision ?? 0;
    const p = rangeStart(prefix);
    const after = opts.startAfter !== undefined && opts.startAfter >= prefix;
    const req: IRangeRequest = {
      key: after ? Buffer.concat([Buffer.from(opts.startAfter as string), PROBE_KEY]) : p,
      range_end: prefixEnd(Buffer.from(prefix)),
      limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
      revision: wanted > 0 ? wanted : 0,
    };
    const deadline = Date.now() + this.#futureTimeoutMs;
    for (;;) {
      try {
        const res = await this.#kv.range(req);
        const items = res.kvs.map(toKeyValue);
        const revision = wanted > 0 ? wanted : storeRevision(res.header.revision);
        const remaining = Number(res.count) - items.length;
        return res.more && remaining > 0 ? { items, revision, more: true, remaining } : { items, revision, more: false };
      } catch (err) {
        const msg = messageOf(err);
        if (COMPACTED.test(msg)) throw StoreError.compacted(wanted, await this.compactedRevision());
        if (!FUTURE.test(msg)) throw err;
        // As kube-apiserver: a revision this client has not seen yet may be a moment away.
        if (Date.now() >= deadline) throw StoreError.futureRevision(wanted, await this.currentRevision());
        await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - Date.now()))));
        this.#checkOpen();
      }
    }
  }

  async count(prefix: string): Promise<number> {
    this.#checkOpen();
    const p = rangeStart(prefix);
    const res = await this.#kv.range({ key: p, range_end: prefixEnd(Buffer.from(prefix)), count_only: true });
    return Number(res.count);
  }

  async update(key: string, value: string, expectedRevision: number): Promise<number> {
    this.#checkOpen();
    const k = Buffer.from(key);
    const res = await this.#kv.txn({
      compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [{ request_range: { key: k, keys_only: true } }],
    });
    if (res.succeeded) return this.#observed(key, Number(res.header.revision));
    throw res.responses[0]?.response_range.kvs.length ? StoreError.staleRevision(key) : StoreError.keyNotFound(key);
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    const k = Buffer.from(key);
    const res = await this.#kv.txn({
      // Without an expected revision the guard is only "the key exists" (create_revision > 0).
      compare: expectedRevision === undefined ? [{ key: k, target: 'Create', result: 'Greater', create_revision: 0 }] : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k, keys_only: true } }],
    });
    const prev = res.succeeded ? res.responses[0]?.response_delete_range.prev_kvs[0] : undefined;
    if (!prev) throw res.responses[0]?.response_range?.kvs.length ? StoreError.staleRevision(key) : StoreError.keyNotFound(key);
    const kv = toKeyValue(prev);
    return { ...kv, modRevision: await this.#observed(key, Number(res.header.revision)) };
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    this.#checkOpen();
    if (opts.afterRevision < this.#compacted) throw StoreError.compacted(opts.afterRevision, this.#compacted);
    const p = rangeStart(prefix);
    const etcdWatcher = this.#client
      .watch()
      .inRange(new Range(p, prefixEnd(Buffer.from(prefix))))
      .withPreviousKV()
      .startRevision(String(opts.afterRevision + 1))
      .watcher();
    const w = new EtcdStoreWatch(etcdWatcher, prefix, opts, {
      forget: (sub) => this.#watches.delete(sub),
      compacted: () => this.compactedRevision(),
    });
    this.#watches.add(w);
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    const current = await this.currentRevision();
    if (revision > current) throw StoreError.compactFuture(revision, current);
    if (revision <= this.#compacted || revision <= 1) return;
    try {
      // physical: answer only once the compaction is applied, so the next read sees it.
      await this.#kv.compact({ revision, physical: true });
    } catch (err) {
      // Someone compacted further already: compaction never goes backwards.
      if (!COMPACTED.test(messageOf(err))) throw err;
    }
    this.#compacted = Math.max(this.#compacted, revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#compactTimer);
    const watches = [...this.#watches];
    const cancels = watches.map((w) => w.fail(StoreError.closed(this.kind)));
    // Cancelling needs a live etcd; a dead one must not hold close() up.
    await Promise.race([Promise.all(cancels), new Promise((r) => setTimeout(r, 1_000).unref())]);
    this.#client.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw StoreError.closed(this.kind);
  }

  /**
   * Resolves with `revision` once every open watch of this store that covers `key` has
   * delivered it (or lost its stream, or after `WATCH_BARRIER_MS`): as with the in-process
   * stores, a write is acknowledged only after this store's watchers were handed its event,
   * so a caller never sees its own write before its own watch cache does.
   */
  async #observed(key: string, revision: number): Promise<number> {
    const waits = [...this.#watches].filter((w) => w.covers(key)).map((w) => w.reached(revision));
    if (waits.length === 0) return revision;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waits), new Promise((r) => (timer = setTimeout(r, WATCH_BARRIER_MS)))]);
    clearTimeout(timer);
    return revision;
  }

  async #headerOf(): Promise<IResponseHeader> {
    this.#checkOpen();
    return (await this.#kv.range({ key: PROBE_KEY, count_only: true })).header;
  }

  async #readable(etcdRevision: number): Promise<boolean> {
    try {
      await this.#kv.range({ key: PROBE_KEY, count_only: true, revision: etcdRevision });
      return true;
    } catch (err) {
      if (COMPACTED.test(messageOf(err))) return false;
      throw err;
    }
  }
}

/** The etcd calls the store makes. */
type Kv = Pick<KVClient, 'range' | 'txn' | 'compact'>;

/**
 * `kv` with its failures as the store reports them: etcd's compacted and future-revision
 * answers pass through (the callers turn them into 410 and waits), every other failure
 * (unreachable, deadline, no leader) is `ServiceUnavailable` (503) naming the endpoints.
 */
function guarded(kv: KVClient, endpoints: readonly string[]): Kv {
  const wrap = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      const msg = messageOf(err);
      if (err instanceof ApiError || COMPACTED.test(msg) || FUTURE.test(msg)) throw err;
      throw new ApiError('ServiceUnavailable', `etcd at ${endpoints.join(', ')} did not answer: ${msg}`);
    }
  };
  return {
    range: (req, opts) => wrap(kv.range(req, opts)),
    txn: (req, opts) => wrap(kv.txn(req, opts)),
    compact: (req, opts) => wrap(kv.compact(req, opts)),
  };
}

type Backoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/** Reconnect delays for the watch stream: `ms`, doubling up to 2 s. */
function backoff(ms: number): Backoff {
  return { duration: ms, next: () => backoff(Math.min(ms * 2, 2_000)) };
}

/**
 * One store watch on one etcd watcher. etcd3 re-creates the watcher after a lost stream
 * with its own idea of the start revision (the header revision of the last response, which
 * during a replay is ahead of the events delivered); this class resets it to the revision
 * after the last event it delivered, and drops anything at or below that revision.
 */
class EtcdStoreWatch implements Watcher {
  readonly #watcher: EtcdWatcher;
  readonly #prefix: string;
  readonly #opts: WatchOptions;
  /** Writes of this store waiting for this watch to deliver their revision. */
  #waiters: Array<{ revision: number; resolve: () => void }> = [];
  /** False while the stream is down: nothing will arrive, so writes must not wait for it. */
  #streaming = true;
  readonly #owner: { forget(w: EtcdStoreWatch): void; compacted(): Promise<number> };
  #last: number;
  #stopped = false;

  constructor(watcher: EtcdWatcher, prefix: string, opts: WatchOptions, owner: { forget(w: EtcdStoreWatch): void; compacted(): Promise<number> }) {
    this.#watcher = watcher;
    this.#prefix = prefix;
    this.#opts = opts;
    this.#owner = owner;
    this.#last = opts.afterRevision;
    watcher.on('data', (res) => {
      if (this.#stopped) return;
      const events: WatchEvent[] = [];
      let last = this.#last;
      for (const ev of res.events) {
        const rev = Number(ev.kv.mod_revision);
        if (rev <= this.#last) continue;
        events.push(toWatchEvent(ev));
        last = Math.max(last, rev);
      }
      if (events.length === 0) return;
      this.#last = last;
      try {
        opts.onEvents(events);
      } catch (err) {
        void this.fail(err instanceof Error ? err : new Error(String(err)));
      }
      this.#release((w) => w.revision <= last);
    });
    watcher.on('connected', () => {
      this.#streaming = true;
    });
    watcher.on('disconnected', () => {
      (watcher.request as { start_revision?: string | number }).start_revision = this.#last + 1;
      this.#streaming = false;
      this.#release(() => true);
    });
    watcher.on('error', (err: Error) => {
      if (this.#stopped) return;
      // etcd cancels a watch whose next revision was compacted away (e.g. while it was disconnected).
      void this.#owner
        .compacted()
        .then((c) => (this.#last < c ? StoreError.compacted(this.#last, c) : new ApiError('ServiceUnavailable', `etcd ended the watch after revision ${this.#last}: ${err.message}; list and watch again`)))
        .catch(() => new ApiError('ServiceUnavailable', `etcd ended the watch after revision ${this.#last}: ${err.message}; list and watch again`))
        .then((e) => this.fail(e));
    });
  }

  stop(): void {
    void this.#end();
  }

  /** Whether `key` is in this watch's range. */
  covers(key: string): boolean {
    return key.startsWith(this.#prefix);
  }

  /** Resolves once this watch has delivered `revision`, or cannot (stopped, stream down). */
  reached(revision: number): Promise<void> {
    if (this.#stopped || !this.#streaming || this.#last >= revision) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ revision, resolve }));
  }

  #release(which: (w: { revision: number }) => boolean): void {
    const keep: Array<{ revision: number; resolve: () => void }> = [];
    for (const w of this.#waiters) {
      if (which(w)) w.resolve();
      else keep.push(w);
    }
    this.#waiters = keep;
  }

  /** Ends the watch and reports `err` to `onError` (once); resolves when etcd has cancelled it. */
  fail(err: Error): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const done = this.#end();
    this.#opts.onError?.(err);
    return done;
  }

  #end(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#stopped = true;
    this.#owner.forget(this);
    this.#release(() => true);
    return this.#watcher.cancel().catch(() => undefined);
  }
}
