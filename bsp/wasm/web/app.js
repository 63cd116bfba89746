// app.js — the page: boots a fresh weft kernel (weft.js / weft.wasm, built
// with -sMODULARIZE as createWeft) for each run, shows its console, its
// verdict and a per-thread activity view drawn from the kernel's trace events
// (bsp_trace_event -> Module.weftTrace(kind, a, b, time_ns)).
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const SELFTEST = '__selftest';
  const ROWS_MAX = 48;          // threads drawn; the rest are counted
  const CONSOLE_LINES_MAX = 4000;
  const ROW_PX = 18, LABEL_PX = 110, AXIS_PX = 24;
  const COLORS = { running: '#16a34a', ready: '#fcd34d', blocked: '#dc2626', sleeping: '#60a5fa' };

  let wasmBinary = null;
  // What the page reports, for people and for the Chromium test.
  const page = window.weftPage = { ready: false, state: 'idle', verdict: '', code: null,
                                   events: 0, threads: 0, switches: 0 };

  // One command in a fresh module instance: resolves {code, lines}.
  function runModule(args, onTrace) {
    return new Promise((resolve) => {
      const lines = [];
      let done = false;
      const finish = (code) => { if (!done) { done = true; resolve({ code, lines }); } };
      const mod = {
        arguments: args,
        wasmBinary: new Uint8Array(wasmBinary),
        print: (s) => lines.push(s),
        printErr: (s) => lines.push(s),
        weftExit: (code) => finish(code),   // bsp_wasm_exit, before exit()
        onExit: (code) => finish(code),
        onAbort: (what) => { lines.push('abort: ' + what); finish(1); },
      };
      if (onTrace) mod.weftTrace = onTrace;
      try {
        createWeft(mod).then(() => {}, (e) => {
          if (!done) { lines.push('error: ' + e); finish(1); }
        });
      } catch (e) {
        // exit() ends the program by throwing ExitStatus after onExit.
        if (!done) { lines.push('error: ' + e); finish(1); }
      }
    });
  }
  // exit() throws ExitStatus out of the wasm call once onExit has run.
  window.addEventListener('error', (ev) => {
    if (ev.error && ev.error.name === 'ExitStatus') ev.preventDefault();
  });

  // ------------------------------------------------------------ activity
  class Activity {
    constructor() { this.threads = new Map(); this.t = 0; this.events = 0; this.switches = 0; }
    thread(id) {
      let th = this.threads.get(id);
      if (!th) {
        th = { id, name: id === 0 ? 'idle' : id === 1 ? 'T1 main' : 'T' + id, state: id === 0 ? 'running' : 'ready',
               since: this.t, label: '', segs: [], ran: 0, runs: 0, blocks: 0, on: new Map(),
               preempted: 0, end: '' };
        this.threads.set(id, th);
      }
      return th;
    }
    set(th, state, label) {
      if (th.state === state && th.label === (label || '')) return;
      if (th.state !== 'exited' && this.t > th.since)
        th.segs.push({ state: th.state, from: th.since, to: this.t, label: th.label });
      if (th.state === 'running') th.ran += this.t - th.since;
      th.state = state; th.since = this.t; th.label = label || '';
    }
    event(kind, a, b, t) {
      this.events++;
      if (t > this.t) this.t = t;
      switch (kind) {
        case 'start': this.thread(a); break;
        case 'switch': {
          this.switches++;
          const prev = this.thread(a), next = this.thread(b);
          // A thread switched away while running is ready again; the idle
          // context simply stops (drawn only while it runs).
          if (prev.state === 'running') this.set(prev, a === 0 ? 'off' : 'ready');
          this.set(next, 'running');
          next.runs++;
          break;
        }
        case 'block': {
          const th = this.thread(a);
          th.blocks++;
          th.on.set(b, (th.on.get(b) || 0) + 1);
          this.set(th, 'blocked', 'object #' + b);
          break;
        }
        case 'sleep': this.set(this.thread(a), 'sleeping'); break;
        case 'wake': case 'timeout': {
          const th = this.thread(a);
          if (th.state === 'blocked' || th.state === 'sleeping') this.set(th, 'ready');
          break;
        }
        case 'preempt': this.thread(a).preempted++; break;
        case 'exit': { const th = this.thread(a); th.end = 'exit ' + (b | 0); this.set(th, 'exited'); break; }
        default: break;
      }
    }
    close() {
      for (const th of this.threads.values()) if (th.state !== 'exited') this.set(th, th.state === 'running' ? 'ready' : th.state, '~');
    }
  }

  // Virtual time in one unit for the whole axis, chosen by its end.
  function timeText(t, end) {
    if (end >= 1e7) return (t / 1e6).toFixed(1) + ' ms';
    return (t / 1e3).toFixed(end >= 1e5 ? 0 : 1) + ' µs';
  }

  function draw(act) {
    const canvas = $('timeline');
    const rows = [...act.threads.values()].sort((x, y) => x.id - y.id);
    const shown = rows.slice(0, ROWS_MAX);
    const width = Math.max(600, canvas.parentElement.clientWidth - 4);
    canvas.width = width;
    canvas.height = AXIS_PX + ROW_PX * Math.max(1, shown.length) + 4;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, canvas.width, canvas.height);
    const end = Math.max(act.t, 1);
    const x = (t) => LABEL_PX + (t / end) * (width - LABEL_PX - 8);
    g.font = '11px sans-serif';
    // Axis: five ticks of virtual time.
    g.fillStyle = '#444'; g.strokeStyle = '#ddd';
    for (let i = 0; i <= 4; i++) {
      const t = (end * i) / 4, px = x(t);
      g.beginPath(); g.moveTo(px, AXIS_PX - 4); g.lineTo(px, canvas.height); g.stroke();
      g.fillText(timeText(t, end), Math.min(px + 2, width - 60), 14);
    }
    shown.forEach((th, i) => {
      const y = AXIS_PX + i * ROW_PX;
      g.fillStyle = '#222'; g.fillText(th.name, 4, y + 12);
      for (const s of th.segs) {
        const x0 = x(s.from), x1 = Math.max(x(s.to), x0 + 1);
        if (!COLORS[s.state]) continue; // idle while another thread runs
        g.fillStyle = COLORS[s.state];
        g.fillRect(x0, y + 3, x1 - x0, ROW_PX - 6);
      }
    });
    const body = $('threads').tBodies[0];
    body.textContent = '';
    for (const th of shown) {
      const tr = body.insertRow();
      const on = [...th.on.entries()].sort((p, q) => q[1] - p[1]).slice(0, 4)
        .map(([id, n]) => '#' + id + ' ×' + n).join(', ');
      for (const v of [th.name, (th.ran / 1000).toFixed(1), th.runs, th.blocks, on || '—', th.preempted, th.end || (th.id === 0 ? '' : 'left')])
        tr.insertCell().textContent = String(v);
    }
    if (rows.length > shown.length) {
      const tr = body.insertRow();
      tr.insertCell().textContent = '… ' + (rows.length - shown.length) + ' more threads not drawn';
    }
  }

  // ------------------------------------------------------------------ UI
  function setVerdict(state, text) {
    const v = $('verdict');
    v.dataset.state = state; v.textContent = text;
    page.state = state; page.verdict = text;
  }

  function showConsole(lines) {
    const shown = lines.length > CONSOLE_LINES_MAX
      ? ['… ' + (lines.length - CONSOLE_LINES_MAX) + ' earlier lines not shown'].concat(lines.slice(-CONSOLE_LINES_MAX))
      : lines;
    const pre = $('console');
    pre.textContent = shown.join('\n');
    pre.scrollTop = pre.scrollHeight;
  }

  async function runChosen() {
    const choice = $('workload').value;
    const seed = String(Math.max(0, Math.floor(Number($('seed').value) || 0)));
    const args = choice === SELFTEST ? ['selftest', '--seed', seed, '--events']
                                     : ['run', choice, '--seed', seed, '--events'];
    $('run').disabled = true;
    setVerdict('running', 'running ' + (choice === SELFTEST ? 'the self-tests' : choice) + ', seed ' + seed + '…');
    await new Promise((r) => setTimeout(r, 30)); // let the page paint "running"
    const act = new Activity();
    const { code, lines } = await runModule(args, (k, a, b, t) => act.event(k, a, b, t));
    act.close();
    showConsole(lines);
    draw(act);
    page.events = act.events; page.threads = act.threads.size; page.switches = act.switches; page.code = code;
    const tally = lines.filter((l) => /^\d+ passed, \d+ failed/.test(l)).pop() || 'no result line';
    setVerdict(code === 0 ? 'pass' : 'fail', (code === 0 ? 'PASS — ' : 'FAIL — ') + tally + ' (exit ' + code + ')');
    $('summary').textContent = (choice === SELFTEST ? 'kernel self-tests' : choice) + ', seed ' + seed + ': ' +
      act.events + ' trace events, ' + act.switches + ' context switches, ' + act.threads.size +
      ' threads (idle included), ' + (act.t / 1000).toFixed(1) + ' µs of virtual time.';
    $('run').disabled = false;
  }

  async function boot() {
    try {
      const r = await fetch('weft.wasm');
      if (!r.ok) throw new Error('weft.wasm: HTTP ' + r.status);
      wasmBinary = await r.arrayBuffer();
      const { code, lines } = await runModule(['list']);
      if (code !== 0) throw new Error('weft list failed: ' + lines.join(' '));
      const sel = $('workload');
      sel.textContent = '';
      for (const l of lines) {
        const [name, summary] = l.split('\t');
        if (!name) continue;
        const o = document.createElement('option');
        o.value = name; o.textContent = name; o.title = summary || '';
        sel.appendChild(o);
      }
      const o = document.createElement('option');
      o.value = SELFTEST; o.textContent = 'kernel self-tests';
      sel.appendChild(o);
      sel.disabled = false;
      $('run').disabled = false;
      $('run').addEventListener('click', runChosen);
      setVerdict('idle', 'ready: choose and Run');
      page.ready = true;
    } catch (e) {
      setVerdict('fail', 'the kernel did not load: ' + e.message);
    }
  }
  boot();
})();
