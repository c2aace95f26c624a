// A tiny static file server for the built app (GET and HEAD only, files under --root only).
// The page is its own origin; the gateway it calls must list that origin in cors.allow_origins.
//
//   node web/serve.mjs [--root DIR] [--host 127.0.0.1] [--port 8000]     (--port 0: any free)
//
// Prints "serving ROOT at http://HOST:PORT/" once it listens; SIGTERM or SIGINT stops it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const kWebDir = path.dirname(fileURLToPath(import.meta.url));
const kContentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function reply(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

export function createStaticServer(root) {
  return http.createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return reply(res, 405, `method ${req.method} not allowed`);
    }
    let relative;
    try {
      relative = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return reply(res, 400, 'bad path');
    }
    if (relative.endsWith('/')) relative += 'index.html';
    const file = path.join(root, path.normalize(relative));
    if (file !== root && !file.startsWith(root + path.sep)) return reply(res, 403, 'outside root');
    let info;
    try {
      info = await stat(file);
    } catch {
      return reply(res, 404, `${relative} not found`);
    }
    if (!info.isFile()) return reply(res, 404, `${relative} not found`);
    res.writeHead(200, {
      'content-type': kContentTypes[path.extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: path.join(kWebDir, 'dist') },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8000' },
    },
  });
  const root = path.resolve(values.root);
  const server = createStaticServer(root);
  server.listen(Number(values.port), values.host, () => {
    const { port } = server.address();
    console.log(`serving ${root} at http://${values.host}:${port}/`);
  });
  server.on('error', (error) => {
    console.error(`serve: ${error.message}`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      server.close();
      server.closeAllConnections();
      process.exit(0);
    });
  }
}
