/**
 * The cluster's static bearer tokens, kept in `<data-dir>/tokens` (mode 0600):
 * the admin token (kubectl, through the generated kubeconfig) and the join
 * token (node agents). Generated on the first secure start and reused after,
 * so kubeconfigs and agents keep working across restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClusterTokens {
  /** Authenticates as `skiff-admin` (system:masters). */
  admin: string;
  /** Authenticates as `system:bootstrap:<id>` (system:bootstrappers, system:nodes). */
  join: string;
}

/** A fresh random token: 32 bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Path of the tokens file of a data dir. */
export function tokensPath(dataDir: string): string {
  return join(dataDir, 'tokens');
}

/**
 * Reads `<dataDir>/tokens`, creating missing tokens; `joinToken` replaces the
 * stored join token (`--join-token`). The file is JSON, mode 0600.
 *
 * @example const { admin, join } = loadOrCreateTokens('/home/me/.skiff');
 */
export function loadOrCreateTokens(dataDir: string, joinToken?: string): ClusterTokens {
  if (joinToken !== undefined && !/^[\x21-\x7e]{8,}$/.test(joinToken)) {
    throw new Error('--join-token must be at least 8 printable characters without spaces');
  }
  const path = tokensPath(dataDir);
  let stored: Partial<ClusterTokens> = {};
  if (existsSync(path)) {
    try {
      stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<ClusterTokens>;
    } catch (e) {
      throw new Error(`${path}: not a valid tokens file (${(e as Error).message}); delete it to generate new tokens`);
    }
  }
  const tokens: ClusterTokens = {
    admin: typeof stored.admin === 'string' && stored.admin ? stored.admin : newToken(),
    join: joinToken ?? (typeof stored.join === 'string' && stored.join ? stored.join : newToken()),
  };
  if (tokens.admin !== stored.admin || tokens.join !== stored.join || !existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  }
  chmodSync(path, 0o600);
  return tokens;
}
