// harness.mjs — start the real rtcsipd, Debian's headless Chromium
// (playwright-core, no browser download) with a fake microphone, a TCP
// proxy that can cut or refuse the browser's connections, and JWTs; Scene
// prints the logs of whatever a failing test started.  Re-exports the
// other helpers, so a test imports from here: env.mjs (paths, ports,
// waits), sipp.mjs (the SIP far end), rtp.mjs (its media: RtpPeer),
// meter.mjs (what the page hears).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { chromium } from 'playwright-core';
import { BUILDDIR, HOST, SRCDIR, freePort, freeSipPort, sleep, waitFor } from './env.mjs';
import { installMeter } from './meter.mjs';

export * from './env.mjs';
export * from './sipp.mjs';
export * from './rtp.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// A 16-bit mono WAV with a sine of @hz, @seconds long, at -6 dBFS.
export function toneWav(file, hz, seconds = 20, rate = 48000) {
  const n = rate * seconds, buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + 2 * n, 4); buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34); buf.write('data', 36); buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(16384 * Math.sin(2 * Math.PI * hz * i / rate)), 44 + 2 * i);
  fs.writeFileSync(file, buf);
  return file;
}

function get(url) {
  return new Promise((resolve, reject) => {
    https.get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      let body = ''; res.on('data', (d) => { body += d; }); res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

// ---- the daemon ----

// A [trunk.NAME] group toward a far end at @host:@port (UDP): no
// registration, no OPTIONS keepalive (a sipp scenario must not see a
// request it does not expect), INVITEs from @host belong to it.
export function trunk(host, port, over = {}) {
  return {
    proxy: `sip:${host}:${port}`, transport: 'udp', register: 'false', options_interval: '0',
    codecs: 'PCMU PCMA', dtmf: 'rfc4733', allowed_networks: `${host}/32`, ...over,
  };
}

// The INI text of @groups ({group: {key: value}}).
function ini(groups) {
  return Object.entries(groups).map(([g, kv]) =>
    `[${g}]\n` + Object.entries(kv).map(([k, v]) => `${k} = ${v}\n`).join('')).join('');
}

// The real rtcsipd on @opts.host.  @extra: lines appended after the [sip]
// group (the echo test's form), or a function ({host, port, sipPort}) =>
// {group: {key: value}} merged into the config (it may use the ports).
// Resolves once /healthz answers; throws with the log if it never does.
export async function startDaemon(extra = '', opts = {}) {
  const host = opts.host || HOST;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcsip-e2e-'));
  const port = await freePort(host);
  const sipPort = await freeSipPort(host);
  const conf = path.join(dir, 'rtcsipd.conf');
  const groups = {
    general: { state_dir: `${dir}/state` },
    signal: { listen: `${host}:${port}`, web_root: `${SRCDIR}/contrib/web` },
    // the shipped stale limit, said here: dtmf.test.mjs's stall relies on it
    media: { threads: '2', max_queue_ms: '200' },
    ice: { local_addresses: host, remote_networks: '127.0.0.0/8' },
    echo: { enabled: 'true' },
    sip: { listen: `${host}:${sipPort}`, rtp_address: host },
  };
  if (typeof extra === 'function') {
    for (const [g, kv] of Object.entries(extra({ host, port, sipPort }))) groups[g] = { ...groups[g], ...kv };
    fs.writeFileSync(conf, ini(groups));
  } else {
    fs.writeFileSync(conf, ini(groups) + extra);
  }
  const logFile = path.join(dir, 'rtcsipd.log');
  const log = fs.openSync(logFile, 'w');
  const proc = spawn(path.join(BUILDDIR, 'rtcsipd'), ['--config', conf], { stdio: ['ignore', 'ignore', log] });
  fs.closeSync(log);
  let exited = null;
  const exit = new Promise((r) => proc.once('exit', (code, sig) => { exited = { code, sig }; r(exited); }));
  const url = `https://${host}:${port}`;
  const readLog = () => fs.readFileSync(logFile, 'utf8');
  let up = false;
  for (let i = 0; i < 150 && !exited; i++) {
    try { if ((await get(url + '/healthz')).status === 200) { up = true; break; } } catch { /* not up yet */ }
    await sleep(100);
  }
  if (!up) {
    proc.kill('SIGKILL');
    throw new Error(`rtcsipd did not come up (${JSON.stringify(exited)}); config:\n${fs.readFileSync(conf, 'utf8')}\nlog:\n${readLog().slice(-4000)}`);
  }
  return {
    url, dir, proc, host, port, sipPort, conf,
    sipAddr: `${host}:${sipPort}`,
    log: readLog,
    mark: () => readLog().length,
    health: async () => JSON.parse((await get(url + '/healthz')).body),
    report: (from = 0) => `---- rtcsipd log (${url}) ----\n${readLog().slice(from).slice(-12000)}\n`,
    stop: async () => {
      if (!exited) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const r = await exit;
      clearTimeout(t);
      return r;
    },
  };
}

// Wait until the daemon has no call left (a test's hangup went through).
export function waitIdle(gw, timeout = 20000) {
  return waitFor(async () => (await gw.health()).calls === 0, timeout, 'the daemon to have no call left');
}

// ---- the browser ----

// Chromium with the flags of DESIGN section 9 and a fake microphone
// playing @wav; every page of the context gets the meter (meter.mjs).
export async function startBrowser(wav, { viewport = { width: 1280, height: 800 } } = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required'],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  await installMeter(context);
  return { browser, context };
}

// One test file's world: the daemon on @host (config groups from
// @groups({host, port, sipPort})) and Chromium whose microphone plays a
// @toneHz sine.  close() stops both and removes the daemon's folder.
export async function startWorld({ host, groups = () => ({}), toneHz = 1000, viewport } = {}) {
  const gw = await startDaemon(groups, { host });
  let b;
  try {
    b = await startBrowser(toneWav(path.join(gw.dir, `tone-${toneHz}.wav`), toneHz), { viewport });
  } catch (e) {
    await gw.stop();
    throw e;
  }
  return {
    gw, browser: b.browser, context: b.context,
    // Stops both; throws when the daemon did not stop cleanly on SIGTERM
    // (exit status, or a sanitizer report in the ASan build).
    close: async () => {
      await b.browser.close();
      const r = await gw.stop();
      const log = gw.log();
      const at = log.indexOf('Sanitizer');
      if (at >= 0) throw new Error(`sanitizer report:\n${log.slice(Math.max(at - 200, 0), at + 6000)}`);
      if (r.code !== 0) throw new Error(`rtcsipd exited ${JSON.stringify(r)} on SIGTERM:\n${log.slice(-3000)}`);
      fs.rmSync(gw.dir, { recursive: true, force: true });
    },
  };
}

// The world most SIP tests share: the daemon on @host with SIP tracing and
// one trunk "carrier" toward a sipp far end on a free port of @host (the
// route for every number), and Chromium.  Adds `far` (that port) to the
// world; @trunkOver overrides trunk() keys.
export async function startCarrierWorld(host, { trunkOver = {} } = {}) {
  const far = await freeSipPort(host);
  const world = await startWorld({
    host,
    groups: () => ({ sip: { trace: 'true' }, 'trunk.carrier': trunk(host, far, trunkOver),
      route: { default: 'carrier' } }),
  });
  return { ...world, far };
}

// The demo page of @gw (or @base) for @query ('?user=alice'), once its
// client is connected (or, with @connected false, once it has tried).
export async function openDemo(context, scene, base, query = '', { connected = true } = {}) {
  const page = await openPage(context, scene);
  await page.goto(base + '/' + query);
  if (connected) await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  return page;
}

// Wait until the demo page's #status says call state @state.
export async function callState(page, state, timeout = 20000) {
  try {
    await page.waitForSelector(`#status[data-state="${state}"]`, { timeout });
  } catch (e) {
    const now = await page.evaluate(() => {
      const s = document.querySelector('#status'), m = document.querySelector('#message');
      return `#status [${s.dataset.state}] "${s.textContent}", #message [${m.dataset.code}] "${m.hidden ? '' : m.textContent}"`;
    }).catch(() => '(page gone)');
    throw new Error(`the call never showed state '${state}' in ${timeout} ms: ${now}`);
  }
}

// A new page that keeps its console output (printed by Scene on failure).
export async function openPage(context, scene) {
  const page = await context.newPage();
  const lines = [];
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  if (scene) {
    scene.add({
      report: async () => {
        // what the user saw: the demo page's status hooks, when it is one
        const seen = await page.evaluate(() => Object.fromEntries(['#conn', '#status', '#message', '#peer',
          '#incoming'].map((s) => document.querySelector(s)).filter(Boolean).map((e) => [e.id,
          `${e.hidden ? '(hidden) ' : ''}[${e.dataset.state ?? e.dataset.code ?? ''}] ${e.textContent.trim().slice(0, 120)}`])))
          .catch((e) => ({ error: e.message }));
        return `---- page (${page.url()}) ----\n${JSON.stringify(seen, null, 1)}\n-- console --\n${lines.slice(-80).join('\n')}\n`;
      },
    });
  }
  return page;
}

export function artifactsDir() {
  const dir = path.join(BUILDDIR, 'e2e-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// ---- a TCP proxy in front of the daemon ----

// Listens on @host (a free port) and pipes every connection to
// @target = {host, port}.  cut() destroys every open connection; refuse(on)
// makes it drop new connections at once while on.
export async function startProxy(host, target) {
  const conns = new Set();
  let refusing = false;
  const stats = { accepted: 0, refused: 0, cut: 0 };
  const server = net.createServer((c) => {
    if (refusing) { stats.refused++; c.destroy(); return; }
    stats.accepted++;
    const up = net.connect(target.port, target.host);
    conns.add(c); conns.add(up);
    const drop = () => { c.destroy(); up.destroy(); conns.delete(c); conns.delete(up); };
    c.on('error', drop); up.on('error', drop); c.on('close', drop); up.on('close', drop);
    c.pipe(up); up.pipe(c);
  });
  await new Promise((r) => server.listen(0, host, r));
  return {
    port: server.address().port, stats,
    url: `https://${host}:${server.address().port}`,
    cut: () => { stats.cut += conns.size; for (const s of conns) s.destroy(); conns.clear(); },
    refuse: (on) => { refusing = on; },
    close: () => new Promise((r) => { for (const s of conns) s.destroy(); server.close(() => r()); }),
  };
}

// ---- JWT (HS256) ----

const b64url = (b) => Buffer.from(b).toString('base64url');

// An HS256 token of @claims signed with @secret (or, with @badSignature,
// with a signature one bit off).
export function jwt(secret, claims, { badSignature = false } = {}) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' + b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(head).digest();
  if (badSignature) sig[0] ^= 1;
  return head + '.' + b64url(sig);
}

// ---- failure reports ----

// What one test started: on failure, run() prints each item's report()
// (the daemon's log since the test began, sipp's trace and errors, the
// page's console); either way it stops the sipp processes left running.
export class Scene {
  constructor(gw) {
    this.items = [];
    this.gw = gw;
    this.mark = gw ? gw.mark() : 0;
  }

  add(item) { this.items.push(item); return item; }

  async run(fn) {
    let ok = false;
    try {
      await fn(this);
      ok = true;
    } catch (e) {
      for (const it of this.items) {
        if (it.stop) await it.stop();
        console.log(await it.report());
      }
      if (this.gw) console.log(this.gw.report(this.mark));
      throw e;
    } finally {
      for (const it of this.items) {
        if (it.stop) await it.stop();
        if (ok && it.cleanup) it.cleanup();
      }
    }
  }
}
