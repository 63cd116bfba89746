// serve.js — serve the page on 127.0.0.1 only: the page's files from this
// folder and the kernel image (weft.js, weft.wasm) from the wasm build.
//
//   node serve.js BUILD_DIR [--port N]     (BUILD_DIR: build/wasm/bsp/wasm)
//
// Serves a fixed list of files (no directory walking); runs until stopped.
// Used by `make web` and, as a module, by page-test.js.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
                '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm' };

function files(buildDir) {
  const web = __dirname;
  return {
    '/': path.join(web, 'index.html'),
    '/index.html': path.join(web, 'index.html'),
    '/app.js': path.join(web, 'app.js'),
    '/style.css': path.join(web, 'style.css'),
    '/weft.js': path.join(buildDir, 'weft.js'),
    '/weft.wasm': path.join(buildDir, 'weft.wasm'),
  };
}

// Resolves {server, url} once listening on 127.0.0.1:port (0: any free port).
function start(buildDir, port) {
  const map = files(buildDir);
  for (const f of Object.values(map))
    if (!fs.existsSync(f)) return Promise.reject(new Error('missing ' + f + ' (build the wasm preset first)'));
  const server = http.createServer((req, res) => {
    const file = map[req.url.split('?')[0]];
    if (req.method !== 'GET' || !file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(500); res.end(String(err)); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
                           'cache-control': 'no-store' });
      res.end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({ server, url: 'http://127.0.0.1:' + server.address().port + '/' });
    });
  });
}

module.exports = { start };

if (require.main === module) {
  const args = process.argv.slice(2);
  const buildDir = args[0];
  let port = 8811;
  const i = args.indexOf('--port');
  if (i >= 0) port = Number(args[i + 1]);
  if (!buildDir || !Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: node serve.js BUILD_DIR [--port N]\n');
    process.exit(2);
  }
  start(path.resolve(buildDir), port).then(({ url }) => {
    process.stdout.write('weft page: ' + url + '  (127.0.0.1 only; Ctrl-C stops)\n');
  }, (e) => {
    process.stderr.write('serve: ' + e.message + '\n');
    process.exit(2);
  });
}
