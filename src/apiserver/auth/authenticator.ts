/**
 * Bearer-token authentication for the API server in secure mode, like
 * kube-apiserver's static token file with `--anonymous-auth=false`: every
 * request (health and version endpoints included) must carry a known token,
 * or it is answered 401 with an `Unauthorized` Status. There is no
 * authorization yet: every authenticated user may do everything.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../api/errors.js';
import { sendJSON } from '../http.js';
import type { ClusterTokens } from './tokens.js';

/** Who a request authenticated as (upstream `user.Info`). */
export interface UserInfo {
  name: string;
  groups: string[];
}

/**
 * Compares two secrets in time independent of where they differ and of their
 * lengths: both sides are hashed to 32 bytes first, then compared with
 * `timingSafeEqual`.
 */
export function tokensEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const m = h ? /^\s*bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

/** The 401 error upstream answers to unauthenticated requests. */
export function unauthorized(): ApiError {
  return new ApiError('Unauthorized', 'Unauthorized');
}

/**
 * Maps the cluster's tokens to users.
 *
 * @example
 * const auth = new TokenAuthenticator(loadOrCreateTokens(dataDir));
 * if (!auth.authenticateRequest(req, res)) return; // 401 sent
 */
export class TokenAuthenticator {
  private readonly entries: Array<{ token: string; user: UserInfo }>;

  constructor(tokens: ClusterTokens) {
    this.entries = [
      { token: tokens.admin, user: { name: 'skiff-admin', groups: ['system:masters', 'system:authenticated'] } },
      {
        token: tokens.join,
        // Like a bootstrap token `<id>.<secret>`: the user name carries a short, non-secret id.
        user: { name: `system:bootstrap:${createHash('sha256').update(tokens.join).digest('hex').slice(0, 6)}`, groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'] },
      },
    ];
  }

  /** The user a bearer token belongs to, or undefined. Every entry is compared, so timing does not tell which matched. */
  authenticate(token: string | undefined): UserInfo | undefined {
    if (token === undefined) return undefined;
    let found: UserInfo | undefined;
    for (const e of this.entries) if (tokensEqual(token, e.token) && !found) found = e.user;
    return found;
  }

  /** Authenticates `req`; on failure writes the 401 Status to `res` and returns undefined. */
  authenticateRequest(req: IncomingMessage, res: ServerResponse): UserInfo | undefined {
    const user = this.authenticate(bearerToken(req.headers.authorization));
    if (!user) {
      req.resume();
      sendJSON(res, 401, unauthorized().toStatus());
    }
    return user;
  }
}
