// jwt.test.mjs — auth.mode = jwt: the demo page opened with ?token=JWT
// connects as the token's `sub` when the token is good, and says "Not
// authorized" (data-code unauthorized) when it is expired or badly signed;
// a token's `allowed` destination prefixes refuse other numbers.  The same
// through rtcsip.js directly: connect() rejects with code 'unauthorized'.
// Tokens are made here (HS256 with node's crypto).
//
// Runs on 127.0.0.44.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Scene, freeSipPort, jwt, openDemo, startWorld, trunk } from './harness.mjs';

const HOST = '127.0.0.44';
const SECRET = 'e2e-jwt-secret-0123456789-abcdefghijklmnop';
const now = () => Math.floor(Date.now() / 1000);
let world;

before(async () => {
  // a trunk nobody answers: no test here may reach it
  const far = await freeSipPort(HOST);
  world = await startWorld({
    host: HOST,
    groups: () => ({ auth: { mode: 'jwt', jwt_secret: SECRET }, 'trunk.carrier': trunk(HOST, far),
      route: { default: 'carrier' } }),
  });
});

after(() => world?.close());

async function demo(scene, token, opts) {
  return openDemo(world.context, scene, world.gw.url, `?token=${encodeURIComponent(token)}`, opts);
}

async function refused(page) {
  await page.waitForSelector('#message[data-code="unauthorized"]', { state: 'visible', timeout: 15000 });
  return { message: await page.textContent('#message'), conn: await page.getAttribute('#conn', 'data-state') };
}

test('a good token connects the demo page as its sub', { timeout: 30000 }, async () => {
  await new Scene(world.gw).run(async (scene) => {
    const page = await demo(scene, jwt(SECRET, { sub: 'dana', exp: now() + 3600 }));
    assert.equal(await page.textContent('#conn'), 'Gateway: connected as dana');
    assert.equal(await page.inputValue('#user'), 'dana');
    assert.ok(await page.isDisabled('#user'), 'the name comes from the token');
    assert.ok(await page.isEnabled('#call'));
    await page.close();
  });
});

test('an expired token shows "unauthorized" on the demo page', { timeout: 30000 }, async () => {
  await new Scene(world.gw).run(async (scene) => {
    const page = await demo(scene, jwt(SECRET, { sub: 'dana', exp: now() - 60 }), { connected: false });
    const r = await refused(page);
    assert.equal(r.message, 'Not authorized: the token is invalid or expired');
    assert.notEqual(r.conn, 'connected');
    assert.ok(await page.isDisabled('#call'), 'Call is enabled without a session');
    await page.close();
  });
});

test('a badly signed token shows "unauthorized" on the demo page', { timeout: 30000 }, async () => {
  await new Scene(world.gw).run(async (scene) => {
    const page = await demo(scene, jwt(SECRET, { sub: 'dana', exp: now() + 3600 }, { badSignature: true }), { connected: false });
    const r = await refused(page);
    assert.equal(r.message, 'Not authorized: the token is invalid or expired');
    assert.notEqual(r.conn, 'connected');
    await page.close();
  });
});

test("a token's allowed prefixes refuse a call to another number", { timeout: 30000 }, async () => {
  await new Scene(world.gw).run(async (scene) => {
    const page = await demo(scene, jwt(SECRET, { sub: 'dana', exp: now() + 3600, allowed: ['+1555'] }));
    await page.fill('#number', '+44 20 7946 0000');
    await page.click('#call');
    await page.waitForSelector('#message[data-code="unauthorized"]', { state: 'visible', timeout: 15000 });
    assert.equal(await page.textContent('#message'), 'Not authorized to call this number');
    assert.equal(await page.getAttribute('#conn', 'data-state'), 'connected', 'the session stays up');
    assert.equal((await world.gw.health()).calls, 0);
    await page.close();
  });
});

test('rtcsip.js: connect() resolves with the good token and rejects "unauthorized" otherwise', { timeout: 30000 }, async () => {
  await new Scene(world.gw).run(async (scene) => {
    const page = await openDemo(world.context, scene, world.gw.url, '?token=none', { connected: false });
    const tokens = {
      good: jwt(SECRET, { sub: 'dana', exp: now() + 3600 }),
      expired: jwt(SECRET, { sub: 'dana', exp: now() - 60 }),
      badSignature: jwt(SECRET, { sub: 'dana', exp: now() + 3600 }, { badSignature: true }),
      otherSecret: jwt('another-secret-of-at-least-32-characters!', { sub: 'dana', exp: now() + 3600 }),
    };
    const r = await page.evaluate(async (toks) => {
      const { Client } = await import('/rtcsip.js');
      const out = {};
      for (const [name, tok] of Object.entries(toks)) {
        // the token as a function, as an app that fetches it would pass it
        const client = new Client(undefined, { token: async () => tok, reconnect: false });
        try {
          const w = await client.connect();
          out[name] = { user: w.user, state: client.state };
          client.close();
        } catch (e) {
          out[name] = { code: e.code, name: e.name, state: client.state };
        }
      }
      return out;
    }, tokens);
    console.log(`  ${JSON.stringify(r)}`);
    assert.deepEqual(r.good, { user: 'dana', state: 'connected' });
    for (const k of ['expired', 'badSignature', 'otherSecret']) {
      assert.equal(r[k].code, 'unauthorized', `${k}: ${JSON.stringify(r[k])}`);
      assert.equal(r[k].name, 'RtcsipError');
      assert.notEqual(r[k].state, 'connected');
    }
    await page.close();
  });
});
