// hold.test.mjs — Hold and Resume on the demo page during a call to a SIP
// phone (sipp, -rtp_echo): the SIP side receives a re-INVITE with
// a=sendonly, then one with a=sendrecv (sipp checks each and answers
// recvonly / sendrecv); the page shows "On hold", the echoed 1 kHz tone
// goes silent while held and comes back after Resume.
//
// Runs on 127.0.0.43.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Scene, callState, openDemo, sippOk, startCarrierWorld, startSipp, waitIdle } from './harness.mjs';
import { expectTone } from './meter.mjs';

const HOST = '127.0.0.43';
let world, far;

before(async () => {
  world = await startCarrierWorld(HOST);
  far = world.far;
});

after(() => world?.close());

test('Hold sends a sendonly re-INVITE and silences the call; Resume sends sendrecv and the audio is back', { timeout: 90000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const sipp = await startSipp('uas_browser_hold.xml', { host: HOST, port: far, echo: true, scene });
    const page = await openDemo(context, scene, gw.url, '?user=frank');
    await page.fill('#number', '15551234');
    await page.click('#call');
    await callState(page, 'connected');
    await page.waitForSelector('#hold:not([disabled])');
    const before = await expectTone(page, 'demo', { hz: 1000 });
    console.log(`  connected: the page hears ${before.hz.toFixed(1)} Hz at ${before.db.toFixed(1)} dB`);

    await page.click('#hold');
    await callState(page, 'held', 15000);
    await page.waitForSelector('#hold[aria-pressed="true"]:not([disabled])', { timeout: 5000 });
    assert.equal(await page.textContent('#status'), 'On hold');
    assert.match(await page.textContent('#hold'), /Resume/);
    const held = await expectTone(page, 'demo', { hz: 1000, present: false, maxDb: -70, timeoutMs: 8000 });
    console.log(`  held: the 1 kHz tone is gone (${held.probeDb.toFixed(1)} dB at 1 kHz)`);

    await page.click('#hold');
    await callState(page, 'connected', 15000);
    await page.waitForSelector('#hold[aria-pressed="false"]:not([disabled])', { timeout: 5000 });
    assert.equal(await page.textContent('#status'), 'Connected');
    const after = await expectTone(page, 'demo', { hz: 1000 });
    console.log(`  resumed: the page hears ${after.hz.toFixed(1)} Hz at ${after.db.toFixed(1)} dB`);

    await page.click('#hangup');
    await sippOk(sipp);
    // the re-INVITEs the SIP side received, in order (the first INVITE's
    // direction attribute is sendrecv or absent)
    const invites = sipp.parsed().filter((m) => m.dir === 'received' && m.first.startsWith('INVITE '));
    const dirs = invites.map((m) => (m.body.match(/^a=(sendrecv|sendonly|recvonly|inactive)$/m) || [, 'sendrecv'])[1]);
    console.log(`  INVITE directions at the SIP side: ${dirs.join(', ')}`);
    assert.deepEqual(dirs, ['sendrecv', 'sendonly', 'sendrecv']);
    await waitIdle(gw);
    await page.close();
  });
});
