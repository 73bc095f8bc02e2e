// app.js — the click-to-call demo page of rtcsip (served at /).
//
// Drives rtcsip.js the way a product would: connects at once (?token=JWT,
// ?user=NAME, else a remembered or random name) and again when the gateway
// comes back, dials, answers, mutes, holds, sends DTMF, rings on incoming
// calls, shows a live microphone meter and the call quality, and says in
// plain words what went wrong.  The DOM hooks the end-to-end tests use (ids,
// data-state, data-code, data-stat, data-level, aria-pressed) are a
// contract: keep them.
import { Client } from './rtcsip.js';

const $ = (sel) => document.querySelector(sel);
const el = {
  badge: $('#badge'), conn: $('#conn'), identity: $('#identity'), user: $('#user'),
  peer: $('#peer'), status: $('#status'), duration: $('#duration'), mic: $('#mic-level'),
  message: $('#message'), dial: $('#dial'), number: $('#number'), backspace: $('#backspace'),
  keypad: $('.keypad'), call: $('#call'), hangup: $('#hangup'), mute: $('#mute'), hold: $('#hold'),
  echo: $('#echo'), quality: $('#quality'), grade: $('#grade'), remote: $('#remote'),
  incoming: $('#incoming'), incomingFrom: $('#incoming-from'), answer: $('#answer'), reject: $('#reject'),
};

const params = new URLSearchParams(location.search);
const TOKEN = params.get('token');
const USER_KEY = 'rtcsip.user';
/** Call states in which the keypad sends DTMF instead of dialling. */
const DTMF_STATES = ['connected', 'held', 'early_media'];
const STATUS_TEXT = {
  calling: 'Calling…', trying: 'Calling…', ringing: 'Ringing…', early_media: 'Ringing…',
  connected: 'Connected', held: 'On hold', transferring: 'Transferring…', incoming: 'Incoming call…',
};
/** SIP codes a call can end with: [label for #status, sentence for #message]. */
const SIP_TEXT = {
  403: ['Forbidden', 'The call was refused: not allowed'], 404: ['Not found', 'Number not found'],
  408: ['Timed out', 'No answer: the call timed out'], 480: ['Unavailable', 'The number is not available right now'],
  484: ['Not found', 'Number not found: it looks incomplete'], 486: ['Busy', 'The number is busy'],
  487: ['Cancelled', 'Call cancelled'], 488: ['Failed', 'The call could not agree on audio'],
  503: ['Service unavailable', 'Service unavailable: try again later'], 600: ['Busy', 'The number is busy'],
  603: ['Declined', 'The call was declined'], 604: ['Not found', 'Number not found'],
};
/** DTMF row and column frequencies, for the keypad's local click tone. */
const DTMF_HZ = { 1: [697, 1209], 2: [697, 1336], 3: [697, 1477], 4: [770, 1209], 5: [770, 1336],
  6: [770, 1477], 7: [852, 1209], 8: [852, 1336], 9: [852, 1477], '*': [941, 1209], 0: [941, 1336], '#': [941, 1477] };

/** Page state: one client, at most one current call and one ringing inbound call. */
const app = {
  client: null, call: null, ringing: null,
  dialing: false,   // client.call() has not settled yet
  cancel: false,    // Hang up was pressed while dialing
  hungUp: false,    // we ended the current call (not the far end)
  holdBusy: false, dialled: '', lastEnd: null, tick: 0, retry: 0, retryMs: 0,
  meter: null, ringTone: null, ringback: null,
};
window.rtcsipDemo = { client: null, call: null };

// --- words ---

/** Shows @text in #message (@kind: error, warn or info); data-code = @code. */
function say(text, code = '', kind = 'error') {
  el.message.textContent = text;
  el.message.dataset.code = String(code ?? '');
  el.message.dataset.kind = kind;
  el.message.hidden = !text;
}

/** Plain words for an RtcsipError; @during is 'connect' or 'call'. */
function errorText(err, during) {
  const cause = err.cause && err.cause.name;
  switch (err.code) {
    case 'media':
      if (cause === 'NotAllowedError' || cause === 'SecurityError')
        return "Microphone access was denied — allow it in the browser's site settings";
      if (cause === 'NotFoundError') return 'No microphone found — connect one and try again';
      if (cause === 'NotReadableError') return 'The microphone is in use by another application';
      return `Audio could not start: ${err.message}`;
    case 'unauthorized':
      if (during === 'call') return 'Not authorized to call this number';
      return TOKEN ? 'Not authorized: the token is invalid or expired' : 'Not authorized: the gateway refused this name';
    case 'unreachable': return 'Cannot reach the gateway — check the network; the page keeps trying';
    case 'disconnected':
      return during === 'call' ? 'Not connected to the gateway right now — wait for it to reconnect'
        : 'Lost the connection to the gateway — the page keeps trying';
    case 'not_found': return 'Number not found: the gateway has no route to it';
    case 'busy': return 'The number is busy';
    case 'limit': return 'The gateway is at capacity — try again in a moment';
    case 'timeout': return 'The gateway did not answer in time — try again';
    case 'bad_request':
      if (/no connected SIP side/i.test(err.message)) return 'The echo test has no far end for hold or keypad tones';
      if (/telephone-event/i.test(err.message)) return 'The other side does not accept keypad tones';
      return `The gateway refused the request: ${err.message}`;
    default: return `Something went wrong: ${err.message}`;
  }
}

/** How a call ended: {status: "Call ended: Busy (486)", message, kind}. */
function endText(code, reason) {
  if (code === 200) {
    const message = /transferred/i.test(reason) ? 'The call was transferred'
      : app.hungUp ? 'Call ended' : 'The other side hung up';
    return { status: 'Call ended', message, kind: 'info' };
  }
  if (code === 503 && /connection/i.test(reason))
    return { status: 'Call ended: Connection lost (503)', kind: 'error',
      message: 'The connection to the gateway was lost and the call ended (503)' };
  if (code === 480 && /ice|dtls/i.test(reason))
    return { status: 'Call ended: No audio path (480)', kind: 'error',
      message: `The audio connection to the gateway failed: ${reason} (480)` };
  if (code === 487 && app.hungUp) return { status: 'Call cancelled', message: 'Call cancelled', kind: 'info' };
  const [label, sentence] = SIP_TEXT[code] || ['Failed', `Call failed: ${reason || 'error'}`];
  return { status: `Call ended: ${label} (${code})`, message: `${sentence} (${code})`,
    kind: code === 487 ? 'info' : 'error' };
}

/** Phone numbers lose their spaces, dots, dashes and brackets; names and SIP URIs stay. */
function normalise(raw) {
  const s = raw.trim();
  return /^[+\d\s().\/-]+$/.test(s) ? s.replace(/[\s().\/-]/g, '') : s;
}

/** A caller for display: "sip:+15551234@host;tag" -> "+15551234". */
function pretty(uri) {
  const s = String(uri || '').replace(/^sips?:/i, '').replace(/[;>].*$/, '');
  return /^[+\d*#]+@/.test(s) ? s.replace(/@.*$/, '') : s || 'Unknown caller';
}

// --- the connection ---

/** This browser's name: ?user=, else remembered, else web- and 4 random digits (remembered). */
function initialUser() {
  if (params.get('user')) return params.get('user');
  let user = null;
  try { user = localStorage.getItem(USER_KEY); } catch { /* storage disabled */ }
  if (!user) remember(user = `web-${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`);
  return user;
}

function remember(user) {
  try { localStorage.setItem(USER_KEY, user); } catch { /* storage disabled */ }
}

/** (Re)connects with the page's token or the name in #user; keeps trying while the gateway is away. */
async function connect() {
  clearTimeout(app.retry);
  if (app.client) {
    app.hungUp = true; // closing hangs up our calls
    app.client.close();
  }
  const user = el.user.value.trim() || initialUser();
  const client = new Client(undefined, TOKEN ? { token: TOKEN } : { user });
  app.client = window.rtcsipDemo.client = client;
  const mine = (fn) => (detail) => { if (app.client === client) fn(detail); };
  client.on('state', mine(renderConn));
  client.on('incoming', mine(({ call }) => onIncoming(call)));
  client.on('reconnecting', mine(({ attempt }) =>
    say(`Connection to the gateway lost — reconnecting (attempt ${attempt})…`, 'reconnecting', 'warn')));
  client.on('connected', mine(() => {
    if (el.message.dataset.code === 'reconnecting') say('Reconnected to the gateway', 'reconnected', 'info');
  }));
  client.on('error', mine(({ error }) => {
    // late replies about calls already gone (e.g. a trickled candidate) are no news
    if (error.call) return console.warn('rtcsip:', error.code, error.message);
    say(errorText(error, 'connect'), error.code);
    if (error.code === 'disconnected') retryLater();
  }));
  renderConn();
  try {
    await client.connect();
    if (app.client !== client) return;
    app.retryMs = 0;
    el.user.value = client.user || user;
    if (['unreachable', 'disconnected', 'unauthorized', 'timeout'].includes(el.message.dataset.code)) say('');
  } catch (err) {
    if (app.client !== client) return;
    say(errorText(err, 'connect'), err.code);
    if (err.code !== 'unauthorized') retryLater();
  }
  renderConn();
}

/** Tries again in 5 s, doubling to a minute (the gateway may be restarting). */
function retryLater() {
  clearTimeout(app.retry);
  app.retryMs = Math.min(2 * (app.retryMs || 2500), 60000);
  app.retry = setTimeout(connect, app.retryMs);
  renderConn();
}

/** Mirrors client.state into #conn and the header badge. */
function renderConn() {
  const c = app.client, s = c ? c.state : 'idle';
  el.conn.dataset.state = el.badge.dataset.state = s;
  const retry = app.retryMs ? `, trying again in ${Math.round(app.retryMs / 1000)} s` : '';
  el.conn.textContent = s === 'connected' ? `Gateway: connected as ${c.user}`
    : s === 'connecting' ? 'Gateway: connecting…'
      : s === 'reconnecting' ? 'Gateway: connection lost, reconnecting…' : `Gateway: not connected${retry}`;
  el.badge.textContent = { connected: 'Online', connecting: 'Connecting', reconnecting: 'Reconnecting' }[s] || 'Offline';
  render();
}

// --- calls ---

/** Places a call to @raw (what the user typed); the number field gets @restore back afterwards. */
async function placeCall(raw, restore = raw) {
  const to = normalise(raw), client = app.client;
  if (app.call || app.dialing) return;
  if (!to) {
    say('Enter a number to call', 'empty', 'warn');
    return el.number.focus();
  }
  if (!client || client.state !== 'connected') return say('Not connected to the gateway yet — one moment', 'disconnected');
  say('');
  Object.assign(app, { dialing: true, cancel: false, hungUp: false, lastEnd: null, dialled: restore });
  el.number.value = '';
  el.peer.textContent = to === 'echo' ? 'Echo test' : to;
  audio(); // the AudioContext is born inside the click, where browsers allow it
  resetStats();
  const before = new Set(client.calls.values());
  const pending = client.call(to);
  // The Call exists as soon as call() starts: adopting it at once shows its
  // progress, and its end even when that comes before call() settles.
  const early = [...client.calls.values()].find((c) => !before.has(c));
  if (early) adopt(early); else render();
  try {
    const call = await pending;
    app.dialing = false;
    if (!early) adopt(call);
    if (app.cancel || app.call !== call) call.hangup(); // hung up, or another call was answered

    render();
  } catch (err) {
    app.dialing = false;
    if (early && early.endCode != null) return; // its end is on screen already
    app.lastEnd = 'Call failed';
    el.number.value = restore;
    say(errorText(err, 'call'), err.code);
    render();
  }
}

/** Hangs up; a call the gateway has not seen yet is hung up as soon as it has. */
function hangup() {
  const call = app.call;
  app.hungUp = true;
  if (call && (!app.dialing || call.state !== 'calling')) call.hangup();
  else app.cancel = true;
  render();
}

/** Makes @call the page's current call: events, remote audio, meter, timers. */
function adopt(call) {
  app.call = window.rtcsipDemo.call = call;
  stopMeter();
  call.on('state', render);
  call.on('mute', render);
  call.on('track', ({ stream }) => { el.remote.srcObject = stream; });
  call.on('dtmf', ({ digit }) => say(`The other side sent the tone ${digit}`, 'dtmf', 'info'));
  call.on('error', ({ error }) => say(errorText(error, 'call'), error.code));
  if (call.remoteStream) el.remote.srcObject = call.remoteStream;
  call.ended.then((end) => onEnded(call, end));
  clearInterval(app.tick);
  app.tick = setInterval(tick, 1000);
  render();
}

/** The current call ended: say how, free the audio, put the number back for redial. */
function onEnded(call, { code, reason }) {
  if (call !== app.call) return;
  app.call = window.rtcsipDemo.call = null;
  app.dialing = false;
  clearInterval(app.tick);
  stopMeter();
  el.remote.srcObject = null;
  el.quality.dataset.live = 'false';
  el.quality.dataset.grade = el.grade.textContent = '';
  el.number.value = call.direction === 'outbound' ? app.dialled : '';
  const end = code == null ? { status: 'Call failed' } : endText(code, reason || '');
  app.lastEnd = end.status;
  // a call we hung up ourselves needs no words; everything else does
  if (code != null) say(code === 200 && app.hungUp ? '' : end.message, code, end.kind);
  render();
}

/** Once a second: the duration and, while connected, the call quality. */
async function tick() {
  const call = app.call;
  if (!call) return;
  render(); // the duration, here and in the tab's title
  if (call.state !== 'connected' && call.state !== 'held') return;
  try {
    const s = await call.stats();
    if (call === app.call) renderStats(s);
  } catch { /* the call ended meanwhile */ }
}

function renderDuration(call) {
  if (!call.connectedAt) return void (el.duration.textContent = '');
  const secs = Math.max(0, Math.floor(((call.endedAt || Date.now()) - call.connectedAt) / 1000));
  el.duration.textContent = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

/** Fills #quality from call.stats() and grades it Good / Fair / Poor. */
function renderStats(s) {
  const dd = (k) => el.quality.querySelector(`[data-stat="${k}"]`);
  const ms = (v) => (v == null ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
  dd('rtt').textContent = ms(s.rttMs);
  dd('loss').textContent = s.lossPercent == null ? '—' : `${s.lossPercent.toFixed(1)} %`;
  dd('jitter').textContent = ms(s.jitterMs);
  dd('codec').textContent = codecName(s.codec);
  dd('codec').title = s.codec || '';
  const rtt = s.rttMs ?? 0, loss = s.lossPercent ?? 0, jitter = s.jitterMs ?? 0;
  const grade = rtt < 300 && loss < 2 && jitter < 30 ? 'good' : rtt < 600 && loss < 6 && jitter < 60 ? 'fair' : 'poor';
  el.quality.dataset.grade = grade;
  el.quality.dataset.live = 'true';
  el.grade.textContent = { good: 'Good', fair: 'Fair', poor: 'Poor' }[grade];
}

/** "opus/48000" -> "Opus 48 kHz", "pcmu/8000" -> "PCMU 8 kHz". */
function codecName(codec) {
  const m = /^([^/]+)\/(\d+)/.exec(codec || '');
  if (!m) return codec || '—';
  const name = m[1] === 'opus' ? 'Opus' : m[1].toUpperCase();
  return `${name} ${Number(m[2]) / 1000} kHz`;
}

function resetStats() {
  el.quality.querySelectorAll('[data-stat]').forEach((d) => { d.textContent = '—'; });
  el.quality.dataset.grade = el.grade.textContent = el.duration.textContent = '';
  el.quality.dataset.live = 'false';
}

// --- incoming calls ---

/** An inbound call rings: banner, ring tone, vibration; a second one at once gets busy. */
function onIncoming(call) {
  if (app.ringing) return call.reject(486);
  app.ringing = call;
  const name = document.createElement('span'), number = document.createElement('span');
  name.className = 'caller-name';
  number.className = 'caller-number';
  name.textContent = call.fromName || pretty(call.from);
  number.textContent = call.fromName ? pretty(call.from) : '';
  el.incomingFrom.replaceChildren(name, ' ', number);
  $('#incoming-title').textContent = app.call || app.dialing ? 'Call waiting · Answer ends your call' : 'Incoming call';
  if (!app.call && !app.dialing) resetStats();
  el.incoming.hidden = false;
  app.ringTone = tone([440, 480], 0.12, [[0, 400], [600, 400]], 3000);
  if (navigator.vibrate) navigator.vibrate([400, 200, 400]);
  render();
  const who = call.fromName ? `${call.fromName} (${pretty(call.from)})` : pretty(call.from);
  call.ended.then(({ code, reason }) => {
    if (app.ringing !== call) return; // answered or rejected here
    if (!app.call && !app.dialing) {
      app.lastEnd = 'Missed call';
      el.number.value = pretty(call.from); // one tap on Call calls back
    }
    closeIncoming();
    say(/elsewhere/i.test(reason || '') ? 'Answered on another device' : `Missed call from ${who}`, code, 'info');
  });
}

function closeIncoming() {
  app.ringing = null;
  el.incoming.hidden = true;
  if (app.ringTone) app.ringTone();
  app.ringTone = null;
  render();
}

/** Answers the ringing call; a call already up is hung up first. */
async function answer() {
  const call = app.ringing;
  if (!call) return;
  closeIncoming();
  const old = app.call; // a call being dialled is dropped by placeCall() once it can be
  if (old && !(app.dialing && old.state === 'calling')) old.hangup();
  say('');
  Object.assign(app, { hungUp: false, lastEnd: null, dialing: false, cancel: false });
  el.number.value = '';
  el.peer.textContent = call.fromName || pretty(call.from);
  audio();
  resetStats();
  adopt(call);
  try {
    await call.accept();
  } catch (err) {
    if (err.code !== 'invalid_state') say(errorText(err, 'call'), err.code);
  }
  render();
}

function reject() {
  const call = app.ringing;
  if (!call) return;
  if (!app.call && !app.dialing) app.lastEnd = 'Call rejected';
  closeIncoming();
  try {
    call.reject(486);
    say(`You rejected the call from ${call.fromName || pretty(call.from)}`, 'rejected', 'info');
  } catch { /* it stopped ringing meanwhile */ }
}

// --- audio: tones and the microphone meter ---

let audioCtx = null;

/** The page's AudioContext, created on first use and resumed if suspended. */
function audio() {
  if (!audioCtx) audioCtx = new AudioContext();
  if (audioCtx.state === 'suspended') audioCtx.resume().catch(() => {});
  return audioCtx;
}

/**
 * Plays the sum of @freqs (Hz) at @gain in bursts @segments ([startMs, lengthMs]),
 * repeated every @periodMs (0: once).  Returns a function that stops it.
 */
function tone(freqs, gain, segments, periodMs = 0) {
  const ctx = audio(), out = ctx.createGain();
  out.gain.value = 0;
  out.connect(ctx.destination);
  const oscs = freqs.map((hz) => {
    const o = ctx.createOscillator();
    o.frequency.value = hz;
    o.connect(out);
    o.start();
    return o;
  });
  const burst = () => {
    const t = ctx.currentTime;
    for (const [start, len] of segments) {
      out.gain.setTargetAtTime(gain, t + start / 1000, 0.005);
      out.gain.setTargetAtTime(0, t + (start + len) / 1000, 0.005);
    }
  };
  burst();
  const last = Math.max(...segments.map(([s, l]) => s + l));
  const timer = periodMs ? setInterval(burst, periodMs) : setTimeout(() => stop(), last + 100);
  function stop() {
    clearInterval(timer);
    clearTimeout(timer);
    oscs.forEach((o) => o.stop());
    out.disconnect();
  }
  return stop;
}

/** Ringback while the far end rings without early media; silence otherwise. */
function syncRingback() {
  const want = app.call && app.call.state === 'ringing';
  if (want && !app.ringback) app.ringback = tone([440, 480], 0.05, [[0, 2000]], 6000);
  if (!want && app.ringback) {
    app.ringback();
    app.ringback = null;
  }
}

/** Live level of @stream into #mic-level: RMS in dBFS, -60..0 mapped to 0..1. */
function startMeter(stream) {
  stopMeter();
  const ctx = audio(), src = ctx.createMediaStreamSource(stream), analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  src.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const meter = app.meter = { src, raf: 0, level: 0 };
  const frame = () => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    const rms = Math.sqrt(sum / buf.length);
    const target = rms > 1e-5 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
    // fast attack, slow release, like a VU meter
    meter.level = target > meter.level ? target : meter.level * 0.85 + target * 0.15;
    showLevel(meter.level);
    meter.raf = requestAnimationFrame(frame);
  };
  frame();
}

function stopMeter() {
  if (!app.meter) return;
  cancelAnimationFrame(app.meter.raf);
  app.meter.src.disconnect();
  app.meter = null;
  showLevel(0);
}

function showLevel(level) {
  const v = level.toFixed(2);
  if (el.mic.dataset.level === v) return;
  el.mic.dataset.level = v;
  el.mic.setAttribute('aria-valuenow', v);
  el.mic.style.setProperty('--level', v);
}

// --- rendering ---

/** Brings every control in line with the client, the current call and the ringing one. */
function render() {
  const call = app.call, busy = !!call || app.dialing;
  const ringing = !busy && app.ringing;
  const state = call ? call.state : app.dialing ? 'calling' : ringing ? 'incoming' : app.lastEnd ? 'ended' : 'idle';
  const online = !!app.client && app.client.state === 'connected';
  const muted = !!(call && call.muted), held = !!(call && call.held);
  el.call.hidden = busy;
  el.hangup.hidden = !busy;
  el.call.disabled = !online;
  el.echo.disabled = !online || busy;
  el.echo.parentElement.hidden = busy;
  el.mute.disabled = !call;
  el.hold.disabled = !call || !['connected', 'held'].includes(call.state) || app.holdBusy || call.to === 'echo';
  el.mute.setAttribute('aria-pressed', String(muted));
  el.mute.querySelector('.label').textContent = muted ? 'Unmute' : 'Mute';
  el.hold.setAttribute('aria-pressed', String(held));
  el.hold.querySelector('.label').textContent = held ? 'Resume' : 'Hold';
  el.number.readOnly = el.backspace.hidden = busy;
  el.number.placeholder = busy ? 'Keypad sends tones' : 'Enter a number';
  el.user.disabled = !!TOKEN;

  let text = STATUS_TEXT[state] || (state === 'ended' ? app.lastEnd : online ? 'Ready' : 'Offline');
  if (state === 'held' && !held) text = 'On hold by the other side';
  if (call && app.cancel) text = 'Cancelling…';
  el.status.dataset.state = document.body.dataset.call = state;
  el.status.textContent = text;
  if (ringing) el.peer.textContent = ringing.fromName || pretty(ringing.from);
  else if (!busy && !app.lastEnd) el.peer.textContent = online ? 'Ready to call' : 'Not connected';
  if (call) renderDuration(call);
  if (call && call.localStream && !app.meter) startMeter(call.localStream);
  syncRingback();
  document.title = app.ringing ? 'Incoming call — rtcsip phone'
    : busy ? `${text} ${el.duration.textContent} — rtcsip phone` : 'rtcsip phone';
}

// --- input ---

/** A keypad digit: DTMF during a call, else it goes into the number. */
function press(digit) {
  const call = app.call;
  tone(DTMF_HZ[digit], 0.05, [[0, 120]]);
  if (call && DTMF_STATES.includes(call.state)) {
    try {
      call.dtmf(digit);
      el.number.value += digit;
    } catch (err) {
      say(errorText(err, 'call'), err.code);
    }
  } else if (!busyDialling()) {
    el.number.value += digit;
  }
}

const busyDialling = () => !!app.call || app.dialing;

function flashKey(digit) {
  const b = el.keypad.querySelector(`[data-digit="${CSS.escape(digit)}"]`);
  if (!b) return;
  b.classList.add('pressed');
  setTimeout(() => b.classList.remove('pressed'), 150);
}

async function toggleHold() {
  const call = app.call;
  if (!call || app.holdBusy) return;
  app.holdBusy = true;
  render();
  try {
    await (call.held ? call.unhold() : call.hold());
  } catch (err) {
    if (call.state !== 'ended') say(errorText(err, 'call'), err.code);
  }
  app.holdBusy = false;
  render();
}

el.dial.addEventListener('submit', (e) => { e.preventDefault(); placeCall(el.number.value); });
el.call.addEventListener('click', () => placeCall(el.number.value));
el.echo.addEventListener('click', () => placeCall('echo', el.number.value));
el.hangup.addEventListener('click', hangup);
el.mute.addEventListener('click', () => { if (app.call) app.call.mute(!app.call.muted); });
el.hold.addEventListener('click', toggleHold);
el.answer.addEventListener('click', answer);
el.reject.addEventListener('click', reject);
el.backspace.addEventListener('click', () => { el.number.value = el.number.value.slice(0, -1); });
el.keypad.addEventListener('click', (e) => {
  const b = e.target.closest('[data-digit]');
  if (b) press(b.dataset.digit);
});
el.identity.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!TOKEN && el.user.value.trim()) remember(el.user.value.trim());
  app.retryMs = 0;
  connect();
});
// Digits typed anywhere but in a text field: DTMF during a call, else dialling.
document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
  if (e.target instanceof HTMLInputElement && !e.target.readOnly) return;
  const call = app.call;
  if (/^[0-9*#]$/.test(e.key) && (call ? DTMF_STATES.includes(call.state) : !app.dialing)) {
    e.preventDefault();
    press(e.key);
    flashKey(e.key);
  } else if (e.key === '+' && !busyDialling()) {
    el.number.value += '+';
  } else if (e.key === 'Backspace' && !busyDialling()) {
    el.number.value = el.number.value.slice(0, -1);
  }
});
addEventListener('pagehide', () => { if (app.client) app.client.close(); });
addEventListener('pageshow', (e) => { if (e.persisted) connect(); }); // back from the page cache

el.user.value = TOKEN ? '' : initialUser();
el.user.placeholder = TOKEN ? 'from the token' : '';
render();
connect();
