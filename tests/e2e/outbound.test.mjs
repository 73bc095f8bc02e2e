// outbound.test.mjs — click-to-call from the demo page to a SIP phone
// (sipp as the trunk's far end), as a user does it: type a number, press
// Call, hear the call, hang up; the far end hangs up or is busy, and the
// page says so; rtcsip.js's call() settles on a fast busy; the page is
// online at once after loading.  A screenshot of the page during the call
// is written to $GW_TEST_BUILDDIR/e2e-artifacts/demo-call.png.
//
// Runs on 127.0.0.40.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Scene, artifactsDir, callState, openDemo, openPage, sippOk, startCarrierWorld, startSipp, waitIdle } from './harness.mjs';
import { expectTone } from './meter.mjs';

const HOST = '127.0.0.40';
let world, far;

before(async () => {
  world = await startCarrierWorld(HOST);
  far = world.far;
});

after(() => world?.close());

test('click-to-call over PCMU: the browser hears its own 1 kHz tone back through the SIP phone', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const sipp = await startSipp('uas_echo_wait_bye.xml', { host: HOST, port: far, echo: true, scene });
    const page = await openDemo(context, scene, gw.url, '?user=carol');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill('#number', '+1 (555) 123-4');
    await page.click('#call');
    await callState(page, 'connected');
    assert.equal(await page.textContent('#status'), 'Connected');
    assert.equal(await page.textContent('#peer'), '+15551234');
    assert.ok(await page.isVisible('#hangup') && !(await page.isVisible('#call')), 'Hang up replaces Call');

    // sipp echoes the RTP it gets: what the page hears is its own microphone
    const heard = await expectTone(page, 'demo', { hz: 1000 });
    console.log(`  the page hears ${heard.hz.toFixed(1)} Hz at ${heard.db.toFixed(1)} dB`);
    assert.ok(Math.abs(heard.hz - 1000) <= 20, `peak at ${heard.hz} Hz`);
    assert.ok(heard.db > -60, `level ${heard.db} dB`);

    // the quality block fills in while connected (browser leg: Opus)
    await page.waitForFunction(() => /opus/i.test(document.querySelector('[data-stat="codec"]').textContent),
      null, { timeout: 10000 });
    await page.waitForFunction(() => /^\d+:\d\d$/.test(document.querySelector('#duration').textContent),
      null, { timeout: 5000 });
    const shot = path.join(artifactsDir(), 'demo-call.png');
    await page.screenshot({ path: shot });
    console.log(`  screenshot of the demo page during the call: ${shot}`);

    await page.click('#hangup');
    await sippOk(sipp);
    await callState(page, 'ended');
    assert.equal(await page.textContent('#status'), 'Call ended');

    // the SIP side: the gateway offered plain RTP/AVP with PCMU to the
    // number the user typed (normalised), sipp answered PCMU only, and the
    // gateway's BYE ended it
    const msgs = sipp.parsed();
    const invite = msgs.find((m) => m.dir === 'received' && m.first.startsWith('INVITE '));
    assert.ok(invite, 'sipp received no INVITE');
    assert.match(invite.first, /^INVITE sip:\+15551234@/);
    assert.match(invite.body, /^m=audio [1-9]\d* RTP\/AVP( \d+)* 0( |$)/m);
    assert.match(invite.body, /^a=rtpmap:0 PCMU\/8000/m);
    const answer = msgs.find((m) => m.dir === 'sent' && m.first.startsWith('SIP/2.0 200') && m.body.includes('m=audio'));
    assert.match(answer.body, /^m=audio \d+ RTP\/AVP 0$/m);
    assert.ok(msgs.some((m) => m.dir === 'received' && m.first.startsWith('ACK ')), 'no ACK');
    assert.ok(msgs.some((m) => m.dir === 'received' && m.first.startsWith('BYE ')), 'no BYE from the gateway');
    await waitIdle(gw);
    await page.close();
  });
});

test('the SIP side hangs up: the page shows the call ended and says the other side hung up', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const sipp = await startSipp('uas_echo_then_bye.xml', { host: HOST, port: far, echo: true, pauseMs: 2500, scene });
    const page = await openDemo(context, scene, gw.url, '?user=carol');
    await page.fill('#number', '15551234');
    await page.press('#number', 'Enter');
    await callState(page, 'connected');
    await sippOk(sipp); // its BYE got 200
    await callState(page, 'ended', 10000);
    assert.equal(await page.textContent('#status'), 'Call ended');
    assert.ok(await page.isVisible('#message'), '#message is hidden');
    assert.equal(await page.textContent('#message'), 'The other side hung up');
    assert.equal(await page.getAttribute('#message', 'data-code'), '200');
    assert.ok(await page.isVisible('#call') && !(await page.isVisible('#hangup')), 'Call is back');
    assert.equal(await page.inputValue('#number'), '15551234', 'the number stays for a redial');
    await waitIdle(gw);
    await page.close();
  });
});

test('the SIP side is busy: the page says the number is busy (486), and again on each redial', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    // sipp answers 486 at once: the SIP failure can reach the page before
    // or just after the gateway's WebRTC answer; a user redialling hits both
    const sipp = await startSipp('uas_busy.xml', { host: HOST, port: far, calls: 3, scene });
    const page = await openDemo(context, scene, gw.url, '?user=carol');
    await page.fill('#number', '15551234');
    for (let i = 1; i <= 3; i++) {
      await page.click('#call');
      await callState(page, 'ended', 10000).catch((e) => { throw new Error(`call ${i}: ${e.message}`); });
      assert.equal(await page.textContent('#status'), 'Call ended: Busy (486)', `call ${i}`);
      await waitIdle(gw);
      assert.equal(await page.textContent('#message'), 'The number is busy (486)', `call ${i}`);
      assert.equal(await page.getAttribute('#message', 'data-code'), '486', `call ${i}`);
      assert.equal(await page.inputValue('#number'), '15551234', 'the number stays for a redial');
    }
    await sippOk(sipp); // three 486s, each ACKed
    await page.close();
  });
});

test('rtcsip.js: a call to a busy number settles: call() resolves and `ended` gives 486, or call() rejects', { timeout: 60000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const sipp = await startSipp('uas_busy.xml', { host: HOST, port: far, calls: 3, scene });
    const page = await openPage(context, scene);
    await page.goto(gw.url + '/healthz'); // any page of the gateway's origin
    const results = await page.evaluate(async () => {
      const { Client } = await import('/rtcsip.js');
      const client = new Client(undefined, { user: 'ivan' });
      await client.connect();
      const out = [];
      for (let i = 0; i < 3; i++) {
        // what an app does: place the call, then wait for its end
        const attempt = client.call('15551234').then(
          async (call) => ({ resolved: true, end: await call.ended }),
          (e) => ({ rejected: e.code, name: e.name }));
        out.push(await Promise.race([attempt, new Promise((r) => setTimeout(() => r({ pending: true }), 10000))]));
      }
      client.close();
      return out;
    });
    console.log(`  three calls to a busy number: ${JSON.stringify(results)}`);
    results.forEach((r, i) => {
      assert.ok(!r.pending, `call ${i + 1}: client.call() neither resolved nor rejected, nor did the call end, within 10 s`);
      if (r.resolved) assert.equal(r.end.code, 486, `call ${i + 1}`);
      else assert.equal(r.name, 'RtcsipError', `call ${i + 1}`);
    });
    await sippOk(sipp);
    await page.close();
  });
});

test('the demo page is online within 3 s of loading', { timeout: 30000 }, async () => {
  const { gw, context } = world;
  await new Scene(gw).run(async (scene) => {
    const page = await openDemo(context, scene, gw.url, '?user=judy');
    // ms from the start of navigation to the client's `connected` state
    // (on loopback this takes tens of ms; the Chromium of these tests
    // first tries WebSocket over HTTP/2, RFC 8441, when the server offers it)
    const ms = await page.evaluate(() => performance.now());
    const http = await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.nextHopProtocol);
    console.log(`  the page loaded over ${http} and was online after ${Math.round(ms)} ms`);
    assert.ok(ms < 3000, `the page showed "Gateway: connecting…" for ${Math.round(ms)} ms`);
    await page.close();
  });
});
