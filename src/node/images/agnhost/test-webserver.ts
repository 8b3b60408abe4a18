/**
 * `agnhost test-webserver`: Go's `http.FileServer` over `/` on `--port` (80),
 * with upstream's CORS and cache headers: `GET /` lists the root directory,
 * `GET /some/file` serves it. A skiff pod sees the host's file tree (plus its
 * volume mounts), so the pod binds only its own loopback IP.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { extname } from 'node:path';
import type { FlagSpecs, FlagValues } from './flags.js';
import { cleanPath, htmlEscape } from './go-compat.js';
import { decodedPath, listenOrDie, requestURL, sniffContentType, writeBody, writeGoError, writeNotFound } from './go-http.js';
import { bindAddress } from './pod-env.js';

/** test-webserver's flags, as upstream. */
export const flagSpecs: FlagSpecs = {
  port: { kind: 'int', default: 80, usage: 'Port number.' },
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'text/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/vnd.microsoft.icon',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
};

function localRedirect(res: ServerResponse, target: string): void {
  res.setHeader('Location', target);
  writeBody(res, 301);
}

/** `http.Dir` errors mapped like Go's `toHTTPError`. */
function fsError(res: ServerResponse, err: NodeJS.ErrnoException): void {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') writeNotFound(res);
  else if (err.code === 'EACCES' || err.code === 'EPERM') writeGoError(res, '403 Forbidden', 403);
  else writeGoError(res, '500 Internal Server Error', 500);
}

function dirList(res: ServerResponse, dir: string): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let body = '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n';
  for (const e of entries) {
    const name = e.isDirectory() ? `${e.name}/` : e.name;
    body += `<a href="${htmlEscape(encodeURI(name).replace(/[?#]/g, encodeURIComponent))}">${htmlEscape(name)}</a>\n`;
  }
  body += '</pre>\n';
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  writeBody(res, 200, body);
}

function serve(res: ServerResponse, urlPath: string): void {
  if (urlPath.endsWith('/index.html')) {
    localRedirect(res, './');
    return;
  }
  const name = cleanPath(urlPath);
  try {
    let st = statSync(name);
    let file = name;
    if (st.isDirectory()) {
      if (!urlPath.endsWith('/')) {
        localRedirect(res, `${name.slice(name.lastIndexOf('/') + 1)}/`);
        return;
      }
      try {
        file = `${name === '/' ? '' : name}/index.html`;
        st = statSync(file);
      } catch {
        dirList(res, name);
        return;
      }
    } else if (urlPath.endsWith('/')) {
      localRedirect(res, `../${name.slice(name.lastIndexOf('/') + 1)}`);
      return;
    }
    const data = readFileSync(file);
    res.setHeader('Content-Type', MIME[extname(file).toLowerCase()] ?? sniffContentType(data));
    res.setHeader('Last-Modified', st.mtime.toUTCString());
    res.setHeader('Accept-Ranges', 'bytes');
    writeBody(res, 200, data);
  } catch (err) {
    fsError(res, err as NodeJS.ErrnoException);
  }
}

/** Starts the file server on the pod IP. */
export function run(flags: FlagValues): void {
  const server = createServer((req, res) => {
    res.setHeader('Cache-Control', 'private');
    // Needed for a local proxy to the Kubernetes API server to work (upstream's reason).
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'DNT,X-Mx-ReqToken,Keep-Alive,User-Agent,X-Requested-With,Cache-Control,Content-Type');
    const path = decodedPath(requestURL(req.url ?? '/'));
    if (path === undefined) {
      writeGoError(res, '400 Bad Request', 400);
      return;
    }
    serve(res, path.startsWith('/') ? path : `/${path}`);
  });
  listenOrDie(server, bindAddress(), flags.port as number);
}
