// run-node.js — run one weft wasm image in node: node run-node.js IMAGE.js ARGS...
//
// Creates the module (built with -sMODULARIZE, factory createWeft) with the
// .wasm bytes read here, so the loader never fetches (node 18 and node 20
// alike), passes ARGS as the program's arguments, and exits with the
// program's exit status: 0 all held, 1 a failure, 2 bad usage.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write('run-node: ' + msg + '\n');
  process.exit(2);
}

const image = process.argv[2];
if (!image || !image.endsWith('.js')) fail('usage: node run-node.js IMAGE.js [ARGS...]');
const wasmPath = image.replace(/\.js$/, '.wasm');
if (!fs.existsSync(image) || !fs.existsSync(wasmPath)) fail('no image ' + image + ' (and .wasm)');

const factory = require(path.resolve(image));
let exited = false;
factory({
  arguments: process.argv.slice(3),
  wasmBinary: fs.readFileSync(wasmPath),
  print: (line) => process.stdout.write(line + '\n'),
  printErr: (line) => process.stderr.write(line + '\n'),
  weftExit: (code) => { exited = true; process.exitCode = code; }, // bsp_wasm_exit
  onExit: (code) => { exited = true; process.exitCode = code; },
}).catch((e) => {
  if (exited) return;
  process.stderr.write('run-node: the module failed: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exitCode = 1;
});
// A program that neither exits nor keeps anything pending has lost its way.
process.on('beforeExit', () => {
  if (!exited && process.exitCode === undefined) {
    process.stderr.write('run-node: the program ended without an exit status\n');
    process.exitCode = 1;
  }
});
