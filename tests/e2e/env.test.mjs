// env.test.mjs — the harness's port picker (no browser): a port it handed
// out is never handed out again in the same process, even before anyone
// binds it (a sipp was once given its own SIP port as its media port, and
// failed to start: "Unable to bind audio RTP socket ... Address already in
// use").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST, freeSipPort, udpFree } from './env.mjs';

test('a picked port is not picked again before it is bound', async (t) => {
  // the picks below must find these free; something else holding one says
  // nothing about the picker
  for (let p = 19988; p < 19998; p++) {
    if (!(await udpFree(HOST, p))) return t.skip(`${HOST}:${p} is in use`);
  }
  // two even ports in the range: the picks must be both, then none left
  const opts = { lo: 19990, hi: 19994, tcp: false };
  const a = await freeSipPort(HOST, opts);
  const b = await freeSipPort(HOST, opts);
  assert.deepEqual([a, b].sort(), [19990, 19992]);
  await assert.rejects(freeSipPort(HOST, opts), /no free port/);
  // a span covers every port of it: 19994-19997 is clear of both picks
  assert.equal(await freeSipPort(HOST, { lo: 19994, hi: 19996, span: 4, tcp: false }), 19994);
  await assert.rejects(freeSipPort(HOST, { lo: 19988, hi: 19990, span: 4, tcp: false }), /no free port/);
});
