// dtmf.test.mjs — the demo page's keypad during a call: the digits the
// user clicks (and types on the keyboard) reach the SIP far end as RFC 4733
// telephone-events, in order, decoded by the test's RtpPeer (the far end's
// media: sipp answers with its port), with the payload type the gateway's
// own offer named.
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

test('keypad digits reach the SIP side as RFC 4733 events, in order', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const media = scene.add(await RtpPeer.open(HOST));
    const sipp = await startSipp('uas_dtmf_rfc4733.xml', { host: HOST, port: far, sets: { rtp_port: media.port }, scene });
    const page = await openDemo(context, scene, gw.url, '?user=erin');
    await page.fill('#number', '15551234');
    await page.click('#call');
    await callState(page, 'connected');
    // audio first reaches the far end (so events are not the first packets)
    await waitFor(() => media.packets.some((p) => p.pt === 0), 10000, 'PCMU at the far end');

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
