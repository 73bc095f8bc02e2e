// meter.mjs — what the browser hears, measured in the page: an init script
// (added to every page of a test's browser context, so the demo page
// stays product code) gives window.e2eMeter, which runs a Web Audio
// AnalyserNode on a call's remote MediaStream; and node-side helpers that
// call it.  Streams are named: 'demo' = the demo page's current call
// (window.rtcsipDemo.call), 'lib' = window.e2eCall (a Call a test placed
// with rtcsip.js itself in page.evaluate).

function meterInit() {
  const analysers = new Map(); // MediaStream -> {ctx, an, bins}

  function streamOf(name) {
    const call = name === 'lib' ? window.e2eCall : window.rtcsipDemo && window.rtcsipDemo.call;
    return call ? call.remoteStream : null;
  }

  function analyser(stream) {
    let a = analysers.get(stream);
    if (a) return a;
    // Chromium feeds a remote WebRTC stream to Web Audio only while a media
    // element plays it; the demo page's <audio id="remote"> does, else a
    // muted one of ours.
    if (![...document.querySelectorAll('audio,video')].some((el) => el.srcObject === stream)) {
      const el = new Audio();
      el.muted = true;
      el.srcObject = stream;
      el.play().catch(() => {});
    }
    const ctx = new AudioContext();
    ctx.resume().catch(() => {});
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(stream).connect(an);
    a = { ctx, an, bins: new Float32Array(an.frequencyBinCount) };
    analysers.set(stream, a);
    return a;
  }

  // One look: the loudest frequency (parabolic interpolation between
  // bins), its level in dB, and the level at @probeHz (+/- 2 bins).
  function look(a, probeHz) {
    const { ctx, an, bins } = a;
    an.getFloatFrequencyData(bins);
    let i = 2;
    for (let k = 3; k < bins.length - 1; k++) if (bins[k] > bins[i]) i = k;
    const l = bins[i - 1], c = bins[i], r = bins[i + 1];
    const p = (l - 2 * c + r) !== 0 ? 0.5 * (l - r) / (l - 2 * c + r) : 0;
    const hzPerBin = ctx.sampleRate / an.fftSize;
    const pb = Math.round(probeHz / hzPerBin);
    let probe = -Infinity;
    for (let k = Math.max(pb - 2, 0); k <= pb + 2 && k < bins.length; k++) probe = Math.max(probe, bins[k]);
    return { hz: (i + p) * hzPerBin, db: c, probeDb: probe };
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  window.e2eMeter = {
    // Over @ms: the loudest look {hz, db} and the highest level at @probeHz.
    async measure(name, ms = 2000, probeHz = 1000) {
      const stream = streamOf(name);
      if (!stream) throw new Error(`no remote stream (${name})`);
      const a = analyser(stream);
      let best = { hz: 0, db: -Infinity }, probeDb = -Infinity, looks = 0;
      for (const t0 = performance.now(); performance.now() - t0 < ms;) {
        await sleep(100);
        const m = look(a, probeHz);
        looks++;
        if (m.db > best.db) best = m;
        probeDb = Math.max(probeDb, m.probeDb);
      }
      return { hz: best.hz, db: best.db, probeDb, looks, contextState: a.ctx.state };
    },

    // Wait up to @timeoutMs until @hz is the loudest frequency (within
    // @tolHz) above @minDb for @stableMs in a row (@present), or until the
    // level at @hz stays below @maxDb for @stableMs (!@present).  Returns
    // {ok, ms, last}.
    async waitTone(name, { hz = 1000, present = true, tolHz = 20, minDb = -60, maxDb = -70,
      stableMs = 1000, timeoutMs = 10000 } = {}) {
      const t0 = performance.now();
      let since = null, last = null;
      while (performance.now() - t0 < timeoutMs) {
        await sleep(100);
        const stream = streamOf(name);
        if (!stream) { since = null; continue; }
        last = look(analyser(stream), hz);
        const good = present ? Math.abs(last.hz - hz) <= tolHz && last.db > minDb : last.probeDb < maxDb;
        if (!good) { since = null; continue; }
        since ??= performance.now();
        if (performance.now() - since >= stableMs) return { ok: true, ms: Math.round(performance.now() - t0), last };
      }
      return { ok: false, ms: Math.round(performance.now() - t0), last };
    },
  };
}

export function installMeter(context) {
  return context.addInitScript(meterInit);
}

// {hz, db, probeDb} of what the page's call @name plays over @ms.
export function measure(page, name = 'demo', ms = 2000, probeHz = 1000) {
  return page.evaluate(([n, t, p]) => window.e2eMeter.measure(n, t, p), [name, ms, probeHz]);
}

// Throws unless the page hears (@opts.present, default) or stops hearing
// a tone of @opts.hz within @opts.timeoutMs; returns the last look.
export async function expectTone(page, name = 'demo', opts = {}) {
  const r = await page.evaluate(([n, o]) => window.e2eMeter.waitTone(n, o), [name, opts]);
  const what = opts.present === false ? `the ${opts.hz || 1000} Hz tone to go silent` : `a ${opts.hz || 1000} Hz tone`;
  if (!r.ok) throw new Error(`the page never heard ${what} in ${r.ms} ms; last look: ${JSON.stringify(r.last)}`);
  return r.last;
}
