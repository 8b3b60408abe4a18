/**
 * Picks and opens a store backend from a URL-ish string, as `skiff up --store` takes it.
 */
import { isAbsolute, join } from 'node:path';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

/** The store kinds `openStore` understands, for messages and help text. */
export const SUPPORTED_STORE_URLS = ['memory', 'sqlite', 'sqlite:///abs/path.db', 'etcd://host:port[,host:port…]'] as const;

/**
 * Opens the store `url` names: `memory`; `sqlite` (the file `<dataDir>/skiff.db`, the
 * default for a single machine); `sqlite:///abs/path.db`; or `etcd://host:port`, with
 * several endpoints of one etcd cluster as `etcd://h1:2379,h2:2379,h3:2379` (`dataDir` is
 * not used; etcd must be reachable, else an Error names the endpoints). Anything else is an
 * Error naming the supported kinds.
 *
 * @example
 * const store = await openStore('sqlite', '/var/lib/skiff'); // /var/lib/skiff/skiff.db
 * const shared = await openStore('etcd://10.0.0.1:2379,10.0.0.2:2379', '/var/lib/skiff');
 */
export async function openStore(url: string, dataDir: string): Promise<Store> {
  if (url === 'memory') return new MemoryStore();
  if (url === 'sqlite') return SqliteStore.open(join(dataDir, 'skiff.db'));
  if (url.startsWith('sqlite://')) {
    const path = decodeURIComponent(url.slice('sqlite://'.length));
    if (!isAbsolute(path)) throw new Error(`store URL ${JSON.stringify(url)}: the path must be absolute, as in sqlite:///var/lib/skiff/skiff.db`);
    return SqliteStore.open(path);
  }
  if (url.startsWith('etcd://')) {
    // Loaded on demand: the etcd client (gRPC) costs startup time nobody else should pay.
    const { EtcdStore, parseEtcdUrl } = await import('./etcd.js');
    return EtcdStore.open(parseEtcdUrl(url));
  }
  throw new Error(`store URL ${JSON.stringify(url)} is not supported; use one of: ${SUPPORTED_STORE_URLS.join(', ')}`);
}
