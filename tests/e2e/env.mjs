// env.mjs — where things are and how to wait for them: the source and
// build folders, the loopback address of a test file, free ports, polling.
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';

export const SRCDIR = process.env.GW_TEST_SRCDIR || path.resolve(new URL('.', import.meta.url).pathname, '../..');
export const BUILDDIR = process.env.GW_TEST_BUILDDIR || path.join(SRCDIR, 'build');

// Each test file uses its own loopback address (127.0.0.4 for the echo
// test, 127.0.0.40-49 for the others), so a failure names itself and two
// files can never race for the same port.
export const HOST = process.env.E2E_HOST || '127.0.0.4';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll @fn until it returns a truthy value (returned), or throw after
// @timeout ms naming @what.
export async function waitFor(fn, timeout, what) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try { last = await fn(); } catch (e) { last = e; }
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last instanceof Error ? `: ${last.message}` : ''));
    await sleep(100);
  }
}

export function freePort(host = HOST) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, host, () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export function udpFree(host, port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

function tcpFree(host, port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

// Ports this process has handed out: a port is only probed free, not
// held, until whoever it was for binds it, so a later pick must not
// return it again (a sipp got its own SIP port as its media port once).
const handedOut = new Set();

// A port free for UDP and TCP (SIP listens on both), or free for UDP at
// @span consecutive ports (sipp's media: RTP, RTCP and its video pair),
// picked at random in [lo, hi) below the ephemeral range, so neither the
// daemon's RTP ports (20000+) nor ICE's ephemeral ports take it; never one
// handed out before in this process.
export async function freeSipPort(host = HOST, { lo = 10000, hi = 19998, span = 1, tcp = true } = {}) {
  for (let i = 0; i < 500; i++) {
    const port = lo + 2 * Math.floor(Math.random() * ((hi - lo) / 2));
    const range = Array.from({ length: span }, (_, k) => port + k);
    if (range.some((p) => handedOut.has(p))) continue;
    let ok = !tcp || await tcpFree(host, port);
    for (let k = 0; ok && k < span; k++) ok = await udpFree(host, port + k);
    if (ok) {
      range.forEach((p) => handedOut.add(p));
      return port;
    }
  }
  throw new Error(`no free port on ${host}`);
}

