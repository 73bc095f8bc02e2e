// harness.mjs — start the real rtcsipd on 127.0.0.1 and Debian's headless
// Chromium (playwright-core, no browser download) with a fake microphone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { chromium } from 'playwright-core';

export const SRCDIR = process.env.GW_TEST_SRCDIR || path.resolve(new URL('.', import.meta.url).pathname, '../..');
export const BUILDDIR = process.env.GW_TEST_BUILDDIR || path.join(SRCDIR, 'build');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Each test file family uses its own loopback address, so tests running in
// parallel cannot race for the same free port.
export const HOST = process.env.E2E_HOST || '127.0.0.4';

export function freePort(host = HOST) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, host, () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

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

export async function startDaemon(extra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcsip-e2e-'));
  const port = await freePort();
  const sipPort = await freePort(); // TCP free; UDP on the same port is almost surely free too
  const conf = path.join(dir, 'rtcsipd.conf');
  fs.writeFileSync(conf, `[general]\nstate_dir = ${dir}/state\n[signal]\nlisten = ${HOST}:${port}\n` +
    `web_root = ${SRCDIR}/contrib/web\n[media]\nthreads = 2\n[ice]\nlocal_addresses = ${HOST}\n` +
    `remote_networks = 127.0.0.0/8\n[echo]\nenabled = true\n` +
    `[sip]\nlisten = ${HOST}:${sipPort}\nrtp_address = ${HOST}\n${extra}`);
  const log = fs.openSync(path.join(dir, 'rtcsipd.log'), 'w');
  const proc = spawn(path.join(BUILDDIR, 'rtcsipd'), ['--config', conf], { stdio: ['ignore', 'ignore', log] });
  const url = `https://${HOST}:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await get(url + '/healthz')).status === 200) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, dir, proc,
    log: () => fs.readFileSync(path.join(dir, 'rtcsipd.log'), 'utf8'),
    health: async () => JSON.parse((await get(url + '/healthz')).body),
    stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }),
  };
}

export async function startBrowser(wav) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required'],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  return { browser, context };
}
