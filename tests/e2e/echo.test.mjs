// echo.test.mjs — a real browser calls the gateway's echo: Chromium's fake
// microphone plays a 1 kHz tone, the page measures what comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startBrowser, startDaemon, toneWav } from './harness.mjs';

test('chromium calls echo and hears its 1 kHz tone back', { timeout: 90000 }, async () => {
  const gw = await startDaemon();
  const wav = toneWav(path.join(gw.dir, 'tone-1k.wav'), 1000);
  const { browser, context } = await startBrowser(wav);
  try {
    const page = await context.newPage();
    page.on('console', (m) => console.log('  page:', m.text()));
    await page.goto(gw.url + '/echo.html');
    const r = await page.evaluate(() => window.runEchoTest(4));
    console.log('  result:', JSON.stringify(r));
    assert.equal(r.state, 'done', r.error);
    assert.ok(Math.abs(r.peakHz - 1000) <= 20, `peak at ${r.peakHz} Hz`);
    assert.ok(r.peakDb > -60, `peak level ${r.peakDb} dB`);
    assert.equal(r.ice, 'connected');
    assert.equal(r.dtls, 'connected');
    assert.ok(r.packetsReceived > 100, `${r.packetsReceived} packets`);
    const log = gw.log();
    assert.match(log, /DTLS connected/);
    assert.match(log, /ended: 200 ended by the browser/);
    assert.equal((await gw.health()).calls, 0);
  } catch (e) {
    console.log(gw.log().slice(-4000));
    throw e;
  } finally {
    await browser.close();
    await gw.stop();
    fs.rmSync(gw.dir, { recursive: true, force: true });
  }
});
