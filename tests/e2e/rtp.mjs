// rtp.mjs — the SIP side's media in node: RTP parsing, G.711 mu-law,
// tone analysis (Goertzel), and RtpPeer, a UDP socket that records what the
// gateway sends (PCMU audio, RFC 4733 events) and can play a tone back.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { HOST } from './env.mjs';

// G.711 mu-law (ITU-T G.711) to and from 16-bit linear.
export function ulawToLinear(u) {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return (u & 0x80) ? 0x84 - t : t - 0x84;
}

export function linearToUlaw(x) {
  const sign = x < 0 ? 0x80 : 0;
  x = Math.min(Math.abs(x), 32635) + 0x84;
  let exp = 7;
  for (let m = 0x4000; (x & m) === 0 && exp > 0; m >>= 1) exp--;
  return ~(sign | (exp << 4) | ((x >> (exp + 3)) & 0x0f)) & 0xff;
}

// The RTP fields of @buf, or null when it is not RTP version 2.
export function parseRtp(buf) {
  if (buf.length < 12 || buf[0] >> 6 !== 2) return null;
  let off = 12 + 4 * (buf[0] & 0x0f);
  if (buf[0] & 0x10) {
    if (buf.length < off + 4) return null;
    off += 4 + 4 * buf.readUInt16BE(off + 2);
  }
  let end = buf.length;
  if (buf[0] & 0x20) end -= buf[buf.length - 1];
  if (end < off) return null;
  return { pt: buf[1] & 0x7f, marker: !!(buf[1] & 0x80), seq: buf.readUInt16BE(2), ts: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8), payload: buf.subarray(off, end) };
}

// Mean power of the @hz component of @x (a sine of amplitude A gives A*A/2).
export function goertzel(x, rate, hz) {
  const k = 2 * Math.cos(2 * Math.PI * hz / rate);
  let s1 = 0, s2 = 0;
  for (const v of x) { const s = v + k * s1 - s2; s2 = s1; s1 = s; }
  return Math.max(s1 * s1 + s2 * s2 - k * s1 * s2, 0) * 2 / (x.length * x.length);
}

// The strongest frequency of @x to about 1 Hz (10 Hz scan, 1 Hz refinement).
export function dominantHz(x, rate = 8000, lo = 100, hi = 3900) {
  let best = lo;
  for (let f = lo; f < hi; f += 10) if (goertzel(x, rate, f) > goertzel(x, rate, best)) best = f;
  let fine = best;
  for (let f = best - 10; f <= best + 10; f++) if (goertzel(x, rate, f) > goertzel(x, rate, fine)) fine = f;
  return fine;
}

// RMS level of @x in dB relative to a full-scale sine.
export function levelDb(x) {
  let p = 0;
  for (const v of x) p += v * v;
  return 10 * Math.log10((p / Math.max(x.length, 1)) / (32767 * 32767 / 2) + 1e-12);
}

const EVENT_DIGITS = '0123456789*#ABCD';

// The SIP side's media: a UDP socket on @host that records every RTP packet
// (arrival time, source, parsed fields), decodes PCMU to check what it
// heard, decodes RFC 4733 events to digits, and can play a PCMU tone at a
// 20 ms pace to the source of the first packet it received (the gateway
// sends and receives on the same RTP port).
export class RtpPeer {
  static async open(host = HOST) {
    const p = new RtpPeer();
    p.sock = dgram.createSocket('udp4');
    p.packets = [];
    p.sock.on('message', (buf, rinfo) => {
      const r = parseRtp(buf);
      if (r) p.packets.push({ t: Date.now(), from: `${rinfo.address}:${rinfo.port}`, rinfo, ...r, payload: Buffer.from(r.payload) });
    });
    await new Promise((r) => p.sock.bind(0, host, r));
    p.port = p.sock.address().port;
    return p;
  }

  // Linear samples of the PCMU (payload type 0) packets received after
  // time @since (ms since the epoch), the last @seconds of them.
  pcmu({ since = 0, seconds = 1 } = {}) {
    const x = [];
    for (const p of this.packets) if (p.pt === 0 && p.t >= since) for (const b of p.payload) x.push(ulawToLinear(b));
    return x.slice(-8000 * seconds);
  }

  // {hz, db, packets} of what arrived as PCMU after @since (last second).
  heard(opts) {
    const x = this.pcmu(opts);
    return { hz: x.length ? dominantHz(x) : 0, db: x.length ? levelDb(x) : -Infinity, samples: x.length };
  }

  // Digits of the RFC 4733 events of payload type @pt, one per event
  // (timestamp) that has an end packet; and the events [{digit, ts,
  // duration, ended}] in arrival order.
  digits(pt) {
    const events = new Map();
    for (const p of this.packets) {
      if (p.pt !== pt || p.payload.length < 4) continue;
      const code = p.payload[0], ended = !!(p.payload[1] & 0x80), duration = p.payload.readUInt16BE(2);
      let ev = events.get(p.ts);
      if (!ev) { ev = { digit: EVENT_DIGITS[code] || `<${code}>`, ts: p.ts, duration: 0, ended: false }; events.set(p.ts, ev); }
      ev.duration = Math.max(ev.duration, duration);
      ev.ended ||= ended;
    }
    const list = [...events.values()];
    return { digits: list.filter((e) => e.ended).map((e) => e.digit).join(''), events: list };
  }

  // Play a PCMU sine of @hz at -10 dBFS, 20 ms per packet, to the source of
  // the first RTP packet received (waits for it), until stop().
  playToneToSender(hz) {
    const ssrc = crypto.randomInt(2 ** 32), amp = 0.3 * 32767;
    let seq = crypto.randomInt(65536), ts = crypto.randomInt(2 ** 32), n = 0, first = true;
    const t0 = Date.now();
    const tick = () => {
      const to = this.packets[0]?.rinfo;
      if (to) {
        // catch up after a late timer, so the far end hears a steady 50 packets/s
        while (n * 20 <= Date.now() - t0) {
          const pkt = Buffer.alloc(172);
          pkt[0] = 0x80; pkt[1] = first ? 0x80 : 0; first = false;
          pkt.writeUInt16BE(seq, 2); pkt.writeUInt32BE(ts >>> 0, 4); pkt.writeUInt32BE(ssrc, 8);
          for (let i = 0; i < 160; i++) pkt[12 + i] = linearToUlaw(Math.round(amp * Math.sin(2 * Math.PI * hz * (n * 160 + i) / 8000)));
          this.sock.send(pkt, to.port, to.address);
          seq = (seq + 1) & 0xffff; ts = (ts + 160) % 2 ** 32; n++;
          this.sent = n;
        }
      } else {
        n = Math.floor((Date.now() - t0) / 20);
      }
    };
    this.timer = setInterval(tick, 10);
  }

  close() {
    clearInterval(this.timer);
    if (this.sock) this.sock.close();
    this.sock = null;
  }

  stop() { this.close(); }

  report() { return `---- RTP peer ${this.port}: ${this.packets.length} packets received, ${this.sent || 0} sent ----\n`; }
}

