// dtmf.test.mjs — the demo page's keypad during a call: the digits the
// user clicks (and types on the keyboard) reach the SIP far end as RFC 4733
// telephone-events, in order, decoded by the test's RtpPeer (the far end's
// media: sipp answers with its port), with the payload type the gateway's
// own offer named.
//
// Digits sent with WebRTC's own RTCDTMFSender (RTP events) arrive the same
// way, even across a stall of the gateway.
//
// Runs on 127.0.0.42.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPeer, Scene, callState, openDemo, sippOk, startCarrierWorld, startSipp, waitFor, waitIdle } from './harness.mjs';

const HOST = '127.0.0.42';
let world, far;

before(async () => {
  world = await startCarrierWorld(HOST, { trunkOver: { dtmf: 'rfc4733' } });
  far = world.far;
});

after(() => world?.close());

// A call from the demo page to the far end (sipp answers with @media's
// port), connected, its PCMU reaching the far end (so events are not the
// first packets there).
async function farEndCall(scene, gw, context) {
  const media = scene.add(await RtpPeer.open(HOST));
  const sipp = await startSipp('uas_dtmf_rfc4733.xml', { host: HOST, port: far, sets: { rtp_port: media.port }, scene });
  const page = await openDemo(context, scene, gw.url, '?user=erin');
  await page.fill('#number', '15551234');
  await page.click('#call');
  await callState(page, 'connected');
  await waitFor(() => media.packets.some((p) => p.pt === 0), 10000, 'PCMU at the far end');
  return { media, sipp, page };
}

test('keypad digits reach the SIP side as RFC 4733 events, in order', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const { media, sipp, page } = await farEndCall(scene, gw, context);

    for (const d of '159#') await page.click(`button[data-digit="${d}"]`);
    await page.keyboard.press('*');
    await page.keyboard.press('0');
    const want = '159#*0';
    // the telephone-event payload type: the one non-PCMU type arriving
    const pt = () => media.packets.find((p) => p.pt !== 0)?.pt;
    const got = await waitFor(() => {
      const r = pt() !== undefined && media.digits(pt());
      return r && r.digits.length >= want.length && r;
    }, 15000, `${want.length} RFC 4733 digits at the far end`).catch((e) => {
      throw new Error(`${e.message}; decoded so far: ${JSON.stringify(pt() !== undefined ? media.digits(pt()) : 'no events')}`);
    });
    console.log(`  far end decoded "${got.digits}" (payload type ${pt()}): ${JSON.stringify(got.events)}`);
    assert.equal(got.digits, want, 'digits in the order the user pressed them');
    // each digit lasted at least 40 ms (RFC 4733 duration, 8 kHz units)
    for (const e of got.events) assert.ok(e.duration >= 320, `digit ${e.digit} lasted ${e.duration / 8} ms`);
    assert.match(await page.inputValue('#number'), /159#\*0$/, 'the number field shows the digits sent');

    await page.click('#hangup');
    await sippOk(sipp);
    // the gateway offered telephone-event/8000 with the payload type it sent
    const invite = sipp.parsed().find((m) => m.dir === 'received' && m.first.startsWith('INVITE '));
    assert.match(invite.body, new RegExp(`^a=rtpmap:${pt()} telephone-event/8000`, 'm'));
    await waitIdle(gw);
    await page.close();
  });
});

// Apps that send DTMF with WebRTC's own API (RTCDTMFSender, as SIP.js-style
// clients do) put RFC 4733 events in the browser's RTP: the gateway carries
// them to the SIP side too.  The second digit is sent while the gateway is
// stopped for a second (SIGSTOP: a descheduled or overloaded core): its
// packets wait in the socket far past media.max_queue_ms (200 ms), which
// drops the audio that waited with them, but a digit late beats a digit
// lost: the far end still decodes it.
test('digits sent with RTCDTMFSender reach the SIP side, even across a 1 s stall of the gateway', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const { media, sipp, page } = await farEndCall(scene, gw, context);
    const mark = gw.mark();
    const insert = (d) => page.evaluate((digit) => {
      const s = window.rtcsipDemo.call._pc.getSenders().find((x) => x.dtmf);
      s.dtmf.insertDTMF(digit, 100, 70);
      return s.dtmf.canInsertDTMF;
    }, d);
    assert.ok(await insert('1'), 'Chromium can send DTMF on this call (telephone-event negotiated)');
    const pt = () => media.packets.find((p) => p.pt !== 0)?.pt;
    const decoded = () => (pt() !== undefined ? media.digits(pt()) : { digits: '', events: [] });
    await waitFor(() => decoded().digits === '1', 10000, 'the first digit at the far end');
    // the gateway stops; the browser sends the digit meanwhile
    gw.proc.kill('SIGSTOP');
    try {
      await insert('5');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      gw.proc.kill('SIGCONT');
    }
    const got = await waitFor(() => decoded().digits.length >= 2 && decoded(), 10000,
      'the digit sent during the stall at the far end').catch((e) => {
      throw new Error(`${e.message}; decoded so far: ${JSON.stringify(decoded())}`);
    });
    console.log(`  far end decoded "${got.digits}" (payload type ${pt()}): ${JSON.stringify(got.events)}`);
    assert.equal(got.digits, '15');
    for (const e of got.events) assert.ok(e.duration >= 320, `digit ${e.digit} lasted ${e.duration / 8} ms`);
    await page.click('#hangup');
    await sippOk(sipp);
    await waitIdle(gw);
    // the stall did drop the audio that waited with the digit (the call's
    // own count: the log line about it is rate-limited per media loop, so
    // an earlier drop on a loaded machine can hold it back), and both
    // digits were events the engine took (none of an unknown type)
    const counters = gw.log().slice(mark).match(/media counters: .* browser_stale=(\d+) .*/);
    assert.ok(counters, 'the call logged its media counters');
    assert.ok(Number(counters[1]) > 0, `the stale audio was dropped: ${counters[0]}`);
    assert.match(counters[0], / unknown_pt=0 undecodable=0 dtmf_to_sip=2/);
    await page.close();
  });
});
