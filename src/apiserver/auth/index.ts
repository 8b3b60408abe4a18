/** Secure mode of the API server: loopback detection, PKI, tokens and bearer-token authentication. */
export { isLoopbackHost, isWildcardHost, secureModeFor, dialHost } from './loopback.js';
export { ensurePki, servingSANs, type Pki, type ServingNames, type SubjectAltName } from './pki.js';
export { loadOrCreateTokens, newToken, tokensPath, type ClusterTokens } from './tokens.js';
export { TokenAuthenticator, tokensEqual, bearerToken, unauthorized, type UserInfo } from './authenticator.js';
