// reconnect.test.mjs — the browser's WebSocket drops during a call.  The
// demo page is loaded through a TCP proxy (node's net) in front of the
// daemon, so its WebSocket goes through it too; the test cuts every
// proxied connection.  (1) rtcsip.js reconnects and resumes the session
// ('connected' {resumed: true}): the call is still up and the 1 kHz tone
// still comes back through the SIP phone (sipp -rtp_echo).  (2) The proxy
// refuses connections for longer than signal.resume_timeout (2 s): the
// far end gets a BYE, and once the page is back, its call has ended with
// 503 "connection to the gateway lost".
//
// Runs on 127.0.0.45 (resume_timeout 20) and 127.0.0.46 (resume_timeout 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scene, callState, freeSipPort, openDemo, sippOk, startProxy, startSipp, startWorld, trunk,
  waitFor, waitIdle } from './harness.mjs';
import { expectTone } from './meter.mjs';

// The daemon on @host with a trunk to sipp at @far, resume_timeout @resume;
// the proxy in front of it; the demo page through the proxy, connected.
async function setup(host, resume, scene) {
  const far = await freeSipPort(host);
  const world = await startWorld({
    host,
    groups: () => ({ signal: { resume_timeout: String(resume) }, sip: { trace: 'true' },
      'trunk.carrier': trunk(host, far), route: { default: 'carrier' } }),
  });
  const proxy = await startProxy(host, { host, port: world.gw.port });
  scene.gw = world.gw;
  scene.mark = 0;
  scene.add({ report: () => `---- proxy ${proxy.url}: ${JSON.stringify(proxy.stats)} ----\n` });
  return { far, world, proxy };
}

// Places a call from the page to the echoing SIP phone; returns sipp once
// the page hears its tone.
async function echoCall(page, host, far, scene) {
  const sipp = await startSipp('uas_echo_wait_bye.xml', { host, port: far, echo: true, scene });
  await page.fill('#number', '15551234');
  await page.click('#call');
  await callState(page, 'connected');
  await expectTone(page, 'demo', { hz: 1000 });
  // what the library tells the page from now on
  await page.evaluate(() => {
    window.e2eEvents = [];
    const { client, call } = window.rtcsipDemo;
    for (const type of ['state', 'reconnecting', 'connected'])
      client.on(type, (d) => window.e2eEvents.push({ type, ...d }));
    call.ended.then((e) => { window.e2eEnded = e; });
    window.e2eCallBefore = call;
  });
  return sipp;
}

const events = (page) => page.evaluate(() => window.e2eEvents);

// Stops the proxy, the browser and the daemon, then rethrows the test's
// @failure; a daemon that does not stop cleanly fails a test that passed.
async function teardown(proxy, world, failure) {
  await proxy?.close();
  try {
    await world?.close();
  } catch (e) {
    if (!failure) throw e;
    console.log(e.message);
  }
  if (failure) throw failure;
}

test('the WebSocket is cut mid-call: rtcsip.js resumes the session and the call goes on', { timeout: 90000 }, async () => {
  const host = '127.0.0.45';
  const scene = new Scene();
  let world, proxy, failure;
  await scene.run(async () => {
    let far;
    ({ far, world, proxy } = await setup(host, 20, scene));
    const page = await openDemo(world.context, scene, proxy.url, '?user=gina');
    const sipp = await echoCall(page, host, far, scene);

    proxy.cut();
    const resumed = await waitFor(async () => (await events(page)).find((e) => e.type === 'connected'),
      30000, "the client's 'connected' event after the cut");
    console.log(`  after the cut: ${JSON.stringify(await events(page))}`);
    assert.equal(resumed.resumed, true, 'the session was not resumed');
    assert.ok(proxy.stats.accepted >= 2, 'no new connection through the proxy');
    await page.waitForSelector('#conn[data-state="connected"]', { timeout: 5000 });

    // the same call, still connected, still echoing; the SIP side never saw a BYE
    assert.ok(await page.evaluate(() => window.rtcsipDemo.call === window.e2eCallBefore), 'the page lost its call');
    assert.equal(await page.getAttribute('#status', 'data-state'), 'connected');
    assert.equal(await page.evaluate(() => window.e2eEnded), undefined, 'the call ended');
    const heard = await expectTone(page, 'demo', { hz: 1000 });
    console.log(`  after the resume the page hears ${heard.hz.toFixed(1)} Hz at ${heard.db.toFixed(1)} dB`);
    assert.ok(sipp.running(), 'the SIP call ended during the cut');

    await page.click('#hangup');
    await sippOk(sipp);
    const msgs = sipp.parsed().filter((m) => m.dir === 'received');
    assert.equal(msgs.filter((m) => m.first.startsWith('INVITE ')).length, 1, 'more than one INVITE');
    await callState(page, 'ended');
    await waitIdle(world.gw);
    await page.close();
  }).catch((e) => { failure = e; });
  await teardown(proxy, world, failure);
});

test('the gateway stays unreachable beyond resume_timeout: the SIP side gets BYE, the page shows the call ended (503)', { timeout: 90000 }, async () => {
  const host = '127.0.0.46';
  const scene = new Scene();
  let world, proxy, failure;
  await scene.run(async () => {
    let far;
    ({ far, world, proxy } = await setup(host, 2, scene));
    const page = await openDemo(world.context, scene, proxy.url, '?user=hugo');
    const sipp = await echoCall(page, host, far, scene);

    proxy.refuse(true);
    proxy.cut();
    const cut = Date.now();
    await sippOk(sipp, 20000); // the gateway's BYE
    const byeAfter = (Date.now() - cut) / 1000;
    console.log(`  the SIP side got BYE ${byeAfter.toFixed(1)} s after the cut`);
    assert.ok(byeAfter >= 1, `BYE ${byeAfter} s after the cut: the session was not kept for resume_timeout`);
    assert.match(world.gw.log(), /not resumed within 2 s/);
    assert.ok(proxy.stats.refused >= 1 || (await page.getAttribute('#conn', 'data-state')) === 'reconnecting',
      'the page did not try to reconnect');

    proxy.refuse(false);
    const end = await waitFor(() => page.evaluate(() => window.e2eEnded), 30000, "the call's end on the page");
    console.log(`  the page's call ended: ${JSON.stringify(end)}; events ${JSON.stringify(await events(page))}`);
    assert.equal(end.code, 503);
    assert.equal(end.reason, 'connection to the gateway lost');
    await callState(page, 'ended', 5000);
    assert.equal(await page.textContent('#status'), 'Call ended: Connection lost (503)');
    assert.equal(await page.getAttribute('#message', 'data-code'), '503');
    await page.waitForSelector('#conn[data-state="connected"]', { timeout: 20000 });
    await waitIdle(world.gw);
    await page.close();
  }).catch((e) => { failure = e; });
  await teardown(proxy, world, failure);
});
