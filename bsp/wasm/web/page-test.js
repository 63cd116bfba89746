// page-test.js — the page in headless Chromium, driven as a person would:
// serve it on 127.0.0.1, open it, choose a workload and a seed, press Run,
// wait for the verdict the page shows, and fail unless it is the expected
// one and the activity view was drawn. Writes a screenshot of the page after
// the run. Bounded in time; stops the browser and the server by itself.
//
//   node page-test.js BUILD_DIR SCREENSHOT.png [--workload W] [--seed N]
//                     [--expect pass|fail] [--chromium PATH] [--timeout S]
//
// Chromium is driven through the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages, NUL-terminated, on fds 3 and 4),
// so nothing but node and Debian's chromium is needed.
// Exit: 0 the expected verdict, 1 anything else, 2 bad usage.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { start } = require('./serve.js');

function usage(msg) {
  process.stderr.write('page-test: ' + msg + '\n');
  process.exit(2);
}

const argv = process.argv.slice(2);
const opt = { workload: 'pingpong', seed: '7', expect: 'pass', chromium: 'chromium', timeout: 120 };
const pos = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a.startsWith('--')) {
    const k = a.slice(2);
    if (!(k in opt) || i + 1 >= argv.length) usage('unknown or incomplete option ' + a);
    opt[k] = argv[++i];
  } else pos.push(a);
}
if (pos.length !== 2) usage('usage: node page-test.js BUILD_DIR SCREENSHOT.png [--workload W] [--seed N] [--expect pass|fail]');
if (opt.expect !== 'pass' && opt.expect !== 'fail') usage('--expect is pass or fail');
const timeoutMs = Number(opt.timeout) * 1000;
if (!(timeoutMs > 0)) usage('--timeout needs seconds');
const [buildDir, shotPath] = pos.map((p) => path.resolve(p));

// ------------------------------------------------ DevTools over the pipe
class Cdp {
  constructor(proc) {
    this.out = proc.stdio[3];
    this.next = 1;
    this.waiting = new Map();
    let buf = '';
    proc.stdio[4].on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nul;
      while ((nul = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nul));
        buf = buf.slice(nul + 1);
        if (msg.method && this.onEvent) this.onEvent(msg);
        const w = msg.id !== undefined && this.waiting.get(msg.id);
        if (!w) continue;
        this.waiting.delete(msg.id);
        if (msg.error) w.reject(new Error(w.method + ': ' + msg.error.message));
        else w.resolve(msg.result);
      }
    });
  }
  send(method, params, sessionId) {
    const id = this.next++;
    const msg = { id, method, params: params || {} };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.out.write(JSON.stringify(msg) + '\0');
    });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function evaluate(cdp, session, expr) {
  const r = await cdp.send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true }, session);
  if (r.exceptionDetails) throw new Error('page script failed: ' + r.exceptionDetails.text + ' in ' + expr);
  return r.result.value;
}

// Poll expr until it returns a truthy value; gives up at the deadline.
async function waitFor(cdp, session, expr, what, deadline) {
  for (let n = 0; Date.now() < deadline; n++) {
    const v = await evaluate(cdp, session, expr);
    if (v) return v;
    await sleep(200);
  }
  throw new Error('timed out waiting for ' + what);
}

async function screenshot(cdp, sessionId) {
  const shot = await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
  fs.mkdirSync(path.dirname(shotPath), { recursive: true });
  fs.writeFileSync(shotPath, Buffer.from(shot.data, 'base64'));
}

async function main() {
  const deadline = Date.now() + timeoutMs;
  const { server, url } = await start(buildDir, 0);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-chromium-'));
  const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
    '--disable-sync', '--disable-dev-shm-usage', '--mute-audio', '--user-data-dir=' + profile,
    '--remote-debugging-pipe', 'about:blank'];
  const proc = spawn(opt.chromium, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((r) => proc.on('exit', r));
  proc.on('error', (e) => { process.stderr.write('page-test: cannot start ' + opt.chromium + ': ' + e.message + '\n'); });
  const killer = setTimeout(() => {
    process.stderr.write('page-test: the whole test passed its ' + opt.timeout + ' s bound\n');
    proc.kill('SIGKILL');
    process.exit(1);
  }, timeoutMs + 5000);
  let ok = false;
  const pageLog = [];
  let cdp = null, sessionId = null;
  try {
    cdp = new Cdp(proc);
    // What the page itself reports (errors, exceptions) shows in a failure.
    cdp.onEvent = (m) => {
      if (m.method === 'Runtime.exceptionThrown')
        pageLog.push('exception: ' + (m.params.exceptionDetails.exception || {}).description);
      else if (m.method === 'Runtime.consoleAPICalled')
        pageLog.push(m.params.type + ': ' + m.params.args.map((x) => x.value !== undefined ? x.value : x.description).join(' '));
      if (pageLog.length > 50) pageLog.shift();
    };
    const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
    ({ sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true }));
    await cdp.send('Runtime.enable', {}, sessionId);
    await cdp.send('Emulation.setDeviceMetricsOverride',
      { width: 1280, height: 1100, deviceScaleFactor: 1, mobile: false }, sessionId);
    await cdp.send('Page.navigate', { url }, sessionId);
    await waitFor(cdp, sessionId, 'window.weftPage && window.weftPage.ready', 'the page to load the kernel', deadline);
    const names = await evaluate(cdp, sessionId, '[...document.querySelectorAll("#workload option")].map(o => o.value)');
    if (!names.includes(opt.workload)) throw new Error('the page offers no workload ' + opt.workload + ' (it offers ' + names.join(', ') + ')');
    // As a person would: choose, type the seed, press Run.
    await evaluate(cdp, sessionId, `(() => {
      const sel = document.getElementById('workload'); sel.value = ${JSON.stringify(opt.workload)};
      sel.dispatchEvent(new Event('change'));
      const seed = document.getElementById('seed'); seed.value = ${JSON.stringify(opt.seed)};
      seed.dispatchEvent(new Event('input'));
      document.getElementById('run').click(); return true; })()`);
    await waitFor(cdp, sessionId, '["pass","fail"].includes(window.weftPage.state)', 'the verdict', deadline);
    const p = await evaluate(cdp, sessionId, 'JSON.parse(JSON.stringify(window.weftPage))');
    const shown = await evaluate(cdp, sessionId, 'document.getElementById("verdict").textContent');
    const rows = await evaluate(cdp, sessionId, 'document.querySelectorAll("#threads tbody tr").length');
    await screenshot(cdp, sessionId);
    console.log('page-test: ' + opt.workload + ' seed ' + opt.seed + ': the page says "' + shown + '"; ' +
      p.events + ' trace events, ' + p.switches + ' switches, ' + p.threads + ' threads, ' + rows +
      ' rows in the thread table; screenshot ' + shotPath);
    const checks = [
      [p.state === opt.expect, 'verdict ' + p.state + ', expected ' + opt.expect],
      [p.events > 0 && p.switches > 0, 'the activity view got no trace events'],
      [p.threads >= 2 && rows >= 2, 'the activity view shows fewer than two threads'],
    ];
    const failedChecks = checks.filter(([c]) => !c).map(([, why]) => why);
    for (const why of failedChecks) console.log('page-test: FAIL: ' + why);
    ok = failedChecks.length === 0;
    await cdp.send('Browser.close').catch(() => {});
  } catch (e) {
    console.log('page-test: FAIL: ' + e.message);
    if (cdp && sessionId) {
      const shown = await evaluate(cdp, sessionId, 'document.getElementById("verdict").textContent').catch(() => '?');
      console.log('page-test: the page shows "' + shown + '"');
      await screenshot(cdp, sessionId).catch(() => {});
    }
    for (const l of pageLog) console.log('page: ' + l);
    if (stderr) console.log('chromium said: ' + stderr.trim().split('\n').slice(-5).join('\n'));
  }
  await Promise.race([exited, sleep(5000)]);
  if (proc.exitCode === null) proc.kill('SIGKILL');
  clearTimeout(killer);
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.log('page-test: FAIL: ' + e.message); console.log('0 passed, 1 failed'); process.exit(1); });
