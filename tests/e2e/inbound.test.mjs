// inbound.test.mjs — a carrier (sipp) calls the browser user "alice" on
// the demo page: the incoming-call banner shows the caller, the user
// clicks Answer, and audio flows both ways: the carrier's 600 Hz voice
// (played by the test's RtpPeer, the carrier's media) is heard in the
// page, the page's 1 kHz microphone tone reaches the carrier as PCMU.
// Then the user hangs up and the carrier gets the BYE.
//
// Runs on 127.0.0.41.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPeer, Scene, callState, openDemo, sippOk, startCarrierWorld, startSipp, waitFor, waitIdle } from './harness.mjs';
import { expectTone } from './meter.mjs';

const HOST = '127.0.0.41';
let world, far;

before(async () => {
  world = await startCarrierWorld(HOST);
  far = world.far;
});

after(() => world?.close());

test('a carrier calls alice: the banner rings, Answer connects, audio flows both ways', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const media = scene.add(await RtpPeer.open(HOST));
    media.playToneToSender(600);
    const page = await openDemo(context, scene, gw.url, '?user=alice');
    assert.equal(await page.isVisible('#incoming'), false, 'a banner before any call');

    const sipp = await startSipp('uac_carrier_call.xml', {
      host: HOST, port: far, remote: gw.sipAddr, service: 'alice', sets: { rtp_port: media.port }, scene,
    });
    await page.waitForSelector('#incoming', { state: 'visible', timeout: 15000 });
    const from = await page.textContent('#incoming-from');
    console.log(`  banner: incoming call from "${from}"`);
    assert.match(from, /\+15557654321/);
    await page.click('#answer');
    await callState(page, 'connected');
    assert.equal(await page.isVisible('#incoming'), false, 'the banner stays after Answer');
    assert.match(await page.textContent('#peer'), /Carrier|\+15557654321/);

    // carrier -> browser: the page hears the carrier's 600 Hz
    const heard = await expectTone(page, 'demo', { hz: 600 });
    console.log(`  the page hears ${heard.hz.toFixed(1)} Hz at ${heard.db.toFixed(1)} dB`);
    // browser -> carrier: PCMU carrying the page's 1 kHz microphone tone
    const since = Date.now();
    const got = await waitFor(() => {
      const h = media.heard({ since });
      return h.samples >= 8000 && h;
    }, 10000, 'a second of PCMU at the carrier');
    console.log(`  the carrier hears ${got.hz} Hz at ${got.db.toFixed(1)} dB`);
    assert.ok(Math.abs(got.hz - 1000) <= 20, `the carrier hears ${got.hz} Hz`);
    assert.ok(got.db > -40, `the carrier hears the tone at ${got.db} dB`);
    assert.deepEqual([...new Set(media.packets.map((p) => p.pt))], [0], 'payload types other than PCMU');

    await page.click('#hangup');
    await sippOk(sipp); // 180, 200 with RTP/AVP PCMU, and the browser's BYE
    await callState(page, 'ended');
    assert.equal(await page.textContent('#status'), 'Call ended');
    await waitIdle(gw);
    await page.close();
  });
});
