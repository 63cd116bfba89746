// html-check.js — open a `weft replay --html` page in headless Chromium and
// check what a person would look for: one lane per core, thread spans, the
// failure mark (for a failed run), and that hovering a mark shows its event
// in the info box. Keeps a screenshot.
//
//   node html-check.js PAGE.html SCREENSHOT.png --cores N [--expect-failure]
//                      [--chromium PATH] [--timeout S]
//
// Chromium is driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and 4), so nothing
// but node and Debian's chromium is needed. The page is opened as a file:
// it is self-contained, nothing is fetched.
// Exit: 0 all checks hold, 1 a check failed, 2 bad usage.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

function usage(msg) {
  process.stderr.write('html-check: ' + msg + '\n');
  process.exit(2);
}

const opt = { cores: null, chromium: 'chromium', timeout: '120', expectFailure: false };
const pos = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--expect-failure') opt.expectFailure = true;
  else if (argv[i] === '--cores' || argv[i] === '--chromium' || argv[i] === '--timeout') {
    if (i + 1 >= argv.length) usage(argv[i] + ' needs a value');
    opt[argv[i].slice(2)] = argv[++i];
  } else if (argv[i].startsWith('--')) usage('unknown option ' + argv[i]);
  else pos.push(argv[i]);
}
if (pos.length !== 2 || !opt.cores) usage('usage: node html-check.js PAGE.html SHOT.png --cores N [--expect-failure]');
const cores = Number(opt.cores);
const timeoutMs = Number(opt.timeout) * 1000;
if (!(cores >= 1) || !(timeoutMs > 0)) usage('--cores and --timeout take positive numbers');
const [page, shot] = pos.map((p) => path.resolve(p));
if (!fs.existsSync(page)) usage('no page ' + page);

// One DevTools session over the pipe: send(method, params) -> result.
function session(proc) {
  let next = 1, buf = '';
  const waiting = new Map();
  proc.stdio[4].on('data', (chunk) => {
    buf += chunk.toString('utf8');
    for (let nul = buf.indexOf('\0'); nul >= 0; nul = buf.indexOf('\0')) {
      const msg = JSON.parse(buf.slice(0, nul));
      buf = buf.slice(nul + 1);
      const w = msg.id !== undefined && waiting.get(msg.id);
      if (!w) continue;
      waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(w.method + ': ' + msg.error.message));
      else w.resolve(msg.result);
    }
  });
  return function send(method, params, sessionId) {
    const id = next++;
    const msg = { id, method, params: params || {} };
    if (sessionId) msg.sessionId = sessionId;
    proc.stdio[3].write(JSON.stringify(msg) + '\0');
    return new Promise((resolve, reject) => waiting.set(id, { resolve, reject, method }));
  };
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-html-'));
const browser = spawn(opt.chromium, ['--headless', '--no-sandbox', '--disable-gpu',
  '--remote-debugging-pipe', '--user-data-dir=' + profile, '--window-size=1400,900', 'about:blank'],
{ stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
browser.stderr.on('data', (d) => { stderr += d.toString(); });
const timer = setTimeout(() => finish(1, 'timed out after ' + opt.timeout + ' s'), timeoutMs);
browser.on('error', (e) => finish(1, 'cannot start ' + opt.chromium + ': ' + e.message));

function finish(code, msg) {
  clearTimeout(timer);
  try { browser.kill('SIGKILL'); } catch (e) { /* already gone */ }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
  if (msg) process.stdout.write('html-check: ' + msg + '\n');
  if (code !== 0 && stderr) process.stdout.write(stderr.split('\n').slice(-5).join('\n') + '\n');
  process.stdout.write((code === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed') + '\n');
  process.exit(code);
}

// What the page shows, measured inside it.
const probe = `(() => {
  const lanes = document.querySelectorAll('.lane').length;
  const spans = document.querySelectorAll('.span').length;
  const arrows = document.querySelectorAll('.arrow').length;
  const fail = document.getElementById('failure');
  const mark = document.querySelector('.arrow') || document.querySelector('.mark');
  let hover = '';
  if (mark) {
    mark.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    hover = document.getElementById('info').textContent;
  }
  const scripts = [...document.querySelectorAll('script[src], link[href], img[src]')].length;
  return JSON.stringify({ lanes, spans, arrows, failure: !!fail, hover, external: scripts });
})()`;

async function main() {
  const send = session(browser);
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  await send('Page.enable', {}, sessionId);
  await send('Page.navigate', { url: 'file://' + page }, sessionId);
  let seen = null;
  for (let tries = 0; tries < 100 && !seen; tries++) {
    await new Promise((r) => setTimeout(r, 100));
    const r = await send('Runtime.evaluate', { expression: 'document.readyState', returnByValue: true }, sessionId);
    if (r.result.value === 'complete') {
      const p = await send('Runtime.evaluate', { expression: probe, returnByValue: true }, sessionId);
      seen = JSON.parse(p.result.value);
    }
  }
  if (!seen) return finish(1, 'the page never finished loading');
  const png = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
  fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
  const problems = [];
  if (seen.lanes !== cores) problems.push(`${seen.lanes} lanes, expected ${cores}`);
  if (seen.spans < 1) problems.push('no thread span');
  if (opt.expectFailure && !seen.failure) problems.push('no failure mark');
  if (!opt.expectFailure && seen.failure) problems.push('a failure mark on a run that held');
  if (!/step \d+, core \d+/.test(seen.hover)) problems.push(`hovering a mark showed '${seen.hover}'`);
  if (seen.external !== 0) problems.push(`${seen.external} external resources (must be self-contained)`);
  const what = `${seen.lanes} lanes, ${seen.spans} spans, ${seen.arrows} arrows, failure mark ${seen.failure}; ` +
    `hover: ${seen.hover.slice(0, 100)}; screenshot ${shot}`;
  return finish(problems.length ? 1 : 0, problems.length ? problems.join('; ') + ' (' + what + ')' : what);
}

main().catch((e) => finish(1, e.message));
