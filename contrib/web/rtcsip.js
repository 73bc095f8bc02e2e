// rtcsip.js — browser client for the rtcsip gateway's JSON API v1.
//
// A dependency-free ES module: one Client is one WebSocket session to the
// gateway (hello with a token or a user name, reconnect with backoff and
// session resume); each Call owns one RTCPeerConnection (trickle ICE,
// audio only).  Every failure is an RtcsipError with a stable `code`.
//
//   import { Client } from 'https://gateway.example:8443/rtcsip.js';
//   const client = new Client('wss://gateway.example:8443/ws', { token });
//   await client.connect();
//   const call = await client.call('+15551234');
//   call.on('track', ({ stream }) => { audioElement.srcObject = stream; });
//   call.on('ended', ({ code, reason }) => console.log('ended', code, reason));
//
// Served by the gateway at /rtcsip.js.  Protocol: README "Browser API".

export const PROTOCOL = 'rtcsip.v1';

/** Codes the gateway sends in `error` messages. */
const GATEWAY_CODES = ['bad_request', 'unauthorized', 'not_found', 'busy', 'limit', 'internal'];
const DIGITS = /^[0-9*#A-D]{1,32}$/i;
const LOST = { code: 503, reason: 'connection to the gateway lost' };

/**
 * Every failure of this library.
 * `code`: the gateway's codes (`bad_request`, `unauthorized`, `not_found`,
 * `busy`, `limit`, `internal`) or `unreachable` (the WebSocket could not be
 * opened), `disconnected` (lost and reconnecting failed), `media`
 * (getUserMedia or WebRTC failed: `cause` is the DOMException, e.g.
 * `NotAllowedError` when the microphone was denied), `timeout`,
 * `invalid_state`.
 */
export class RtcsipError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{call?: string, tid?: (string|number), cause?: any}} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'RtcsipError';
    /** @type {string} */ this.code = code;
    /** @type {string|undefined} */ this.call = extra.call;
    this.tid = extra.tid;
    if (extra.cause !== undefined) this.cause = extra.cause;
  }

  /** True for the codes the gateway itself sends. */
  get fromGateway() { return GATEWAY_CODES.includes(this.code); }
}

/** EventTarget with `on(type, fn)`: fn gets the event's detail. */
class Emitter extends EventTarget {
  /**
   * @param {string} type
   * @param {(detail: any) => void} fn
   * @returns {() => void} removes the listener
   */
  on(type, fn) {
    const h = (e) => fn(e.detail);
    this.addEventListener(type, h);
    return () => this.removeEventListener(type, h);
  }

  _emit(type, detail = {}) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

function randomId(prefix) {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return prefix + a[0].toString(36) + a[1].toString(36);
}

function mediaError(e, what) {
  const name = e && e.name;
  const why = name === 'NotAllowedError' ? 'microphone access was denied'
    : name === 'NotFoundError' ? 'no microphone found'
      : name === 'NotReadableError' ? 'the microphone is in use by another application'
        : `${what} failed: ${e && e.message ? e.message : e}`;
  return new RtcsipError('media', why, { cause: e });
}

/**
 * One call: outbound (from Client.call) or inbound (the Client's `incoming`
 * event).  Events (use `call.on(type, fn)`): `state` {state}, `track`
 * {stream}, `dtmf` {digit, durationMs}, `transfer` {code, reason, final},
 * `mute` {muted}, `error` {error}, `ended` {code, reason}.
 */
export class Call extends Emitter {
  /** @param {Client} client @param {object} init */
  constructor(client, init) {
    super();
    this._client = client;
    /** @type {string} */ this.id = init.id;
    /** @type {'outbound'|'inbound'} */ this.direction = init.direction;
    /** @type {string} */ this.to = init.to || '';
    /** @type {string} */ this.from = init.from || '';
    /** @type {string} */ this.fromName = init.fromName || '';
    /** @type {Object<string,string>} */ this.headers = init.headers || {};
    /** outbound: withhold our number; inbound: the caller withheld theirs */
    /** @type {boolean} */ this.privacy = !!init.privacy;
    /** inbound: `from` is the caller as the carrier asserts it (P-Asserted-Identity) */
    /** @type {boolean} */ this.asserted = !!init.asserted;
    /** @type {string} */
    this.state = init.direction === 'inbound' ? 'incoming' : 'calling';
    this.muted = false;
    this.held = false;
    /** @type {MediaStream|null} */ this.remoteStream = null;
    /** @type {MediaStream|null} */ this.localStream = null;
    /** @type {number|null} */ this.connectedAt = null;
    /** @type {number|null} */ this.endedAt = null;
    /** @type {number|null} */ this.endCode = null;
    /** @type {string|null} */ this.endReason = null;
    this._offer = init.sdp || null;     // inbound: the gateway's offer
    this._pc = null;
    this._ownStream = false;
    this._candidates = [];              // gathered before the call/accept was sent
    this._signalled = false;
    this._waiters = [];                 // {states, resolve, reject, tid}
    /** @type {Promise<{code: number, reason: string}>} resolves when the call ends */
    this.ended = new Promise((r) => { this._resolveEnded = r; });
  }

  /** @param {{stream?: MediaStream}} [opts] answers an inbound call. */
  async accept(opts = {}) {
    if (this.direction !== 'inbound' || this.state !== 'incoming' || this._pc)
      throw new RtcsipError('invalid_state', `call ${this.id} is not ringing`, { call: this.id });
    try {
      await this._preparePeer(opts.stream);
      await this._pc.setRemoteDescription({ type: 'offer', sdp: this._offer });
      await this._pc.setLocalDescription(await this._pc.createAnswer());
    } catch (e) {
      const err = e instanceof RtcsipError ? e : mediaError(e, 'answering');
      this._send({ type: 'reject', call: this.id, code: 488 });
      this._end(488, err.message);
      throw err;
    }
    if (this.state === 'ended')
      throw new RtcsipError('invalid_state', `call ${this.id} ended before it was answered`, { call: this.id });
    const connected = this._requestUntil({ type: 'accept', call: this.id, sdp: this._pc.localDescription.sdp },
      ['connected']);
    this._flushCandidates();
    await connected;
  }

  /** Rejects an inbound call with SIP @code (default 486 Busy Here). */
  reject(code = 486) {
    if (this.direction !== 'inbound' || this.state !== 'incoming')
      throw new RtcsipError('invalid_state', `call ${this.id} is not ringing`, { call: this.id });
    this._send({ type: 'reject', call: this.id, code });
    this._end(code, 'rejected');
  }

  /** Ends the call (BYE, or CANCEL while ringing); `ended` follows. */
  hangup() {
    if (this.state === 'ended') return;
    // still dialling (microphone, offer): the gateway does not know the call
    if ((this.direction === 'outbound' && !this._signalled) || !this._send({ type: 'hangup', call: this.id }))
      this._end(200, 'ended by the browser');
  }

  /**
   * Like EventTarget listeners, but `on('ended', fn)` on a call that has
   * already ended calls fn at once (a busy number can end the call before
   * `client.call()` resolved).
   */
  on(type, fn) {
    if (type === 'ended' && this.state === 'ended') {
      const d = { code: this.endCode, reason: this.endReason };
      queueMicrotask(() => fn(d));
    }
    return super.on(type, fn);
  }

  /**
   * Sends DTMF toward the SIP side (RFC 4733, or SIP INFO per trunk).
   * @param {string} digits 1-32 of 0-9 * # A-D
   * @param {{durationMs?: number}} [opts]
   */
  dtmf(digits, opts = {}) {
    if (!DIGITS.test(String(digits)))
      throw new RtcsipError('bad_request', 'digits must be 1-32 of 0-9 * # A-D', { call: this.id });
    this._live('dtmf');
    const msg = { type: 'dtmf', call: this.id, digits: String(digits).toUpperCase() };
    if (opts.durationMs) msg.duration_ms = opts.durationMs;
    this._request(msg).catch(() => {}); // reported as the call's `error` event
  }

  /** Puts the far end on hold (re-INVITE sendonly); resolves once it agreed. */
  hold() { return this._holdRequest('hold', 'held', true); }

  /** Takes the far end off hold; resolves once it agreed. */
  unhold() { return this._holdRequest('unhold', 'connected', false); }

  /**
   * Blind transfer (REFER) to @to.  Resolves with the final report
   * {code, reason}: 2xx means the far end reached the target.
   * @param {string} to
   */
  transfer(to) {
    this._live('transfer');
    return new Promise((resolve, reject) => {
      const off = this.on('transfer', (t) => { if (t.final) { off(); resolve(t); } });
      this.ended.then((e) => { off(); resolve(e); });
      this._request({ type: 'transfer', call: this.id, to: String(to) })
        .catch((e) => { off(); reject(e); });
    });
  }

  /** Mutes (or unmutes) the microphone toward the far end. */
  mute(on = true) {
    this.muted = !!on;
    if (this.localStream) this.localStream.getAudioTracks().forEach((t) => { t.enabled = !this.muted; });
    this._emit('mute', { muted: this.muted });
  }

  /**
   * A summary of the call's quality from RTCPeerConnection.getStats().
   * @returns {Promise<{rttMs: ?number, jitterMs: ?number, packetsLost: ?number,
   *   packetsReceived: ?number, lossPercent: ?number, codec: ?string, audioLevel: ?number,
   *   localAudioLevel: ?number, bytesSent: ?number, bytesReceived: ?number}>}
   */
  async stats() {
    const out = { rttMs: null, jitterMs: null, packetsLost: null, packetsReceived: null, lossPercent: null,
      codec: null, audioLevel: null, localAudioLevel: null, bytesSent: null, bytesReceived: null };
    if (!this._pc) return out;
    const report = await this._pc.getStats();
    let codecId = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.jitterMs = s.jitter != null ? s.jitter * 1000 : null;
        out.packetsLost = s.packetsLost ?? null;
        out.packetsReceived = s.packetsReceived ?? null;
        out.bytesReceived = s.bytesReceived ?? null;
        out.audioLevel = s.audioLevel ?? null;
        codecId = s.codecId;
      } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
        out.bytesSent = s.bytesSent ?? null;
      } else if (s.type === 'remote-inbound-rtp' && s.roundTripTime != null) {
        out.rttMs = s.roundTripTime * 1000;
      } else if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime != null &&
                 out.rttMs == null) {
        out.rttMs = s.currentRoundTripTime * 1000;
      } else if (s.type === 'media-source' && s.kind === 'audio') {
        out.localAudioLevel = s.audioLevel ?? null;
      }
    });
    if (codecId && report.get(codecId)) {
      const c = report.get(codecId);
      out.codec = `${(c.mimeType || '').replace(/^audio\//, '').toLowerCase()}/${c.clockRate}`;
    }
    if (out.packetsLost != null && out.packetsReceived != null) {
      const total = out.packetsLost + out.packetsReceived;
      out.lossPercent = total > 0 ? (100 * Math.max(0, out.packetsLost)) / total : 0;
    }
    return out;
  }

  // --- internals ---

  _live(what) {
    if (this.state === 'ended' || this.state === 'incoming')
      throw new RtcsipError('invalid_state', `cannot ${what}: call ${this.id} is ${this.state}`, { call: this.id });
  }

  async _holdRequest(type, state, held) {
    this._live(type);
    this._wantHeld = held; // set `held` before the state event fires
    try {
      await this._requestUntil({ type, call: this.id }, [state]);
    } finally {
      this._wantHeld = undefined;
    }
  }

  _send(msg) { return this._client._send(msg); }

  // Sends @msg with a tid; an error reply is reported as the call's `error`
  // event and rejects the returned promise (which never resolves).
  _request(msg, waiter) {
    return this._client._request(msg, { call: this, waiter });
  }

  // Sends @msg and resolves when the call reaches one of @states; rejects
  // with the gateway's error for this request, or when the call ends.
  _requestUntil(msg, states) {
    let w;
    const reached = new Promise((resolve, reject) => {
      w = { states, resolve, reject };
      this._waiters.push(w);
    });
    const failed = this._request(msg).catch((e) => {
      this._waiters = this._waiters.filter((x) => x !== w);
      throw e;
    });
    return Promise.race([reached, failed]);
  }

  _failWaiters(err) {
    for (const w of this._waiters.splice(0)) w.reject(err);
  }

  async _preparePeer(stream) {
    if (stream) {
      this.localStream = stream;
    } else {
      try {
        this.localStream = await navigator.mediaDevices.getUserMedia({ audio: this._client.options.audio });
        this._ownStream = true;
      } catch (e) {
        throw mediaError(e, 'getUserMedia');
      }
    }
    const pc = new RTCPeerConnection({ iceServers: this._client.iceServers, bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require' });
    this._pc = pc;
    this.localStream.getAudioTracks().forEach((t) => {
      t.enabled = !this.muted;
      pc.addTrack(t, this.localStream);
    });
    pc.ontrack = (e) => {
      this.remoteStream = e.streams[0] || new MediaStream([e.track]);
      this._emit('track', { stream: this.remoteStream });
    };
    pc.onicecandidate = (e) => {
      const c = { type: 'candidate', call: this.id, candidate: e.candidate ? e.candidate.candidate : null,
        sdpMid: e.candidate ? e.candidate.sdpMid : null };
      if (this._signalled) this._send(c); else this._candidates.push(c);
    };
  }

  _flushCandidates() {
    this._signalled = true;
    for (const c of this._candidates.splice(0)) this._send(c);
  }

  // Outbound: offer, `call`, then the gateway's `answer` (by call id).
  // Resolves early when the call ends meanwhile (hangup, a fast 486).
  async _dial(stream) {
    try {
      await this._preparePeer(stream);
      await this._pc.setLocalDescription(await this._pc.createOffer());
    } catch (e) {
      if (this.state === 'ended') return;
      const err = e instanceof RtcsipError ? e : mediaError(e, 'creating the offer');
      this._end(null, err.message, false);
      throw err;
    }
    if (this.state === 'ended') return; // hung up while dialling: nothing was sent
    const answered = new Promise((resolve, reject) => { this._answered = { resolve, reject }; });
    const msg = { type: 'call', call: this.id, to: this.to, sdp: this._pc.localDescription.sdp };
    if (Object.keys(this.headers).length) msg.headers = this.headers;
    if (this.privacy) msg.privacy = true;
    this._request(msg, this._answered).catch(() => {});
    this._flushCandidates();
    const sdp = await answered;   // rejects with the gateway's error (not_found, limit, ...)
    if (sdp == null || this.state === 'ended') return;
    try {
      // a closed RTCPeerConnection never settles setRemoteDescription
      await Promise.race([this._pc.setRemoteDescription({ type: 'answer', sdp }), this.ended]);
    } catch (e) {
      if (this.state === 'ended') return;
      const err = mediaError(e, 'applying the gateway answer');
      this.hangup();
      throw err;
    }
  }

  // Gateway -> call messages.
  _onMessage(m) {
    switch (m.type) {
      case 'answer':
        if (this._answered) this._answered.resolve(m.sdp);
        this._answered = null;
        break;
      case 'state': this._onState(m); break;
      case 'candidate':
        if (this._pc && m.candidate)
          this._pc.addIceCandidate({ candidate: m.candidate, sdpMid: m.sdpMid ?? '0' }).catch(() => {});
        break;
      case 'dtmf': this._emit('dtmf', { digit: m.digit, durationMs: m.duration_ms ?? null }); break;
      case 'hangup': this._end(m.code, m.reason || ''); break;
      default: break;
    }
  }

  _onState(m) {
    if (this.state === 'ended') return;
    if (m.state === 'transferring') {
      this._emit('transfer', { code: m.code ?? null, reason: m.reason || '', final: !!m.final });
      return;
    }
    const state = m.state === 'resumed' ? 'connected' : m.state;
    if (state === 'connected' && !this.connectedAt) this.connectedAt = Date.now();
    if (this._wantHeld === (state === 'held')) this.held = this._wantHeld;
    this.state = state;
    this._waiters = this._waiters.filter((w) => {
      if (!w.states.includes(state)) return true;
      w.resolve();
      return false;
    });
    this._emit('state', { state });
  }

  _onError(err) {
    if (this._answered) {
      this._answered.reject(err);
      this._answered = null;
      this._end(null, err.message, false);
      return;
    }
    this._emit('error', { error: err });
  }

  // Local end: close the peer connection, release the microphone.
  _end(code, reason, emit = true) {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endCode = code;
    this.endReason = reason;
    this.endedAt = Date.now();
    if (this._answered) this._answered.resolve(null);
    this._answered = null;
    if (this._pc) {
      this._pc.onicecandidate = null; // no candidates for a call the gateway forgot
      this._pc.close();
    }
    if (this._ownStream && this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
    this._client._forget(this.id);
    this._failWaiters(new RtcsipError('invalid_state', `call ended: ${reason}`, { call: this.id }));
    this._resolveEnded({ code, reason });
    if (emit) {
      this._emit('state', { state: 'ended' });
      this._emit('ended', { code, reason });
    }
  }
}

/**
 * One WebSocket session to the gateway.  Events (use `client.on(type, fn)`):
 * `state` {state}, `connected` {resumed}, `reconnecting` {attempt, delayMs},
 * `incoming` {call}, `error` {error}.
 */
export class Client extends Emitter {
  /**
   * @param {string} [url] wss://host:port/ws (default: the page's own gateway)
   * @param {{token?: (string|(() => (string|Promise<string>))), user?: string,
   *   reconnect?: boolean, audio?: (boolean|MediaTrackConstraints),
   *   requestTimeoutMs?: number, keepaliveMs?: number,
   *   backoff?: {initialMs?: number, maxMs?: number, attempts?: number}}} [options]
   */
  constructor(url, options = {}) {
    super();
    if (url && typeof url === 'object') { options = url; url = undefined; }
    this.url = url || `wss://${location.host}/ws`;
    this.options = { reconnect: true, audio: true, requestTimeoutMs: 10000, keepaliveMs: 20000, ...options };
    this.backoff = { initialMs: 500, maxMs: 8000, attempts: 8, ...(options.backoff || {}) };
    /** @type {'idle'|'connecting'|'connected'|'reconnecting'|'closed'} */ this.state = 'idle';
    /** @type {string|null} */ this.user = null;
    /** @type {string|null} */ this.session = null;
    /** @type {RTCIceServer[]} */ this.iceServers = [];
    /** @type {Map<string, Call>} live calls by id */ this.calls = new Map();
    this._ws = null;
    this._resume = null;
    this._tid = 0;
    this._pending = new Map();   // tid -> {call, waiter, timer}
    this._keepalive = null;
    this._closing = false;
    this._ended = [];            // ids of calls that ended lately (late errors)
    this._opening = null;        // the WebSocket being opened, if any
  }

  /**
   * Opens the session.  Resolves {session, user, iceServers}; rejects an
   * RtcsipError (`unauthorized`, `unreachable`, ...).
   */
  async connect() {
    if (this.state === 'connected') return this._welcome();
    if (this.state === 'connecting' || this.state === 'reconnecting')
      throw new RtcsipError('invalid_state', `already ${this.state}`);
    this._closing = false;
    this._setState('connecting');
    try {
      await this._open(false);
    } catch (e) {
      this._setState('idle');
      throw e;
    }
    this._emit('connected', { resumed: false });
    return this._welcome();
  }

  /**
   * Places a call.  Resolves once the gateway answered the WebRTC side (the
   * far end may still be ringing: watch `state`); SIP failures arrive as
   * the call's `ended` event.  Rejects `not_found`, `limit`,
   * `unauthorized`, `media`, `disconnected`...
   * @param {string} to a number, `echo` or a SIP URI
   * `privacy: true` withholds your number (the far end sees "Anonymous").
   * @param {{headers?: Object<string,string>, privacy?: boolean, stream?: MediaStream, id?: string}} [opts]
   * @returns {Promise<Call>}
   */
  async call(to, opts = {}) {
    this._mustBeConnected();
    const call = new Call(this, { id: opts.id || randomId('c'), direction: 'outbound', to: String(to),
      headers: opts.headers, privacy: opts.privacy });
    this.calls.set(call.id, call);
    await call._dial(opts.stream);
    return call;
  }

  /** Hangs up every call and closes the session for good. */
  close() {
    this._closing = true;
    for (const c of [...this.calls.values()]) {
      if (c.state === 'incoming') c.reject(486); else c.hangup();
      c._end(200, 'client closed');
    }
    this._stopKeepalive();
    if (this._ws) this._ws.close(1000, 'bye');
    if (this._opening) this._opening.close(1000, 'bye');
    this._ws = null;
    this._opening = null;
    this._failPending(new RtcsipError('invalid_state', 'client closed'));
    this._setState('closed');
  }

  // --- internals ---

  _forget(id) {
    this.calls.delete(id);
    this._ended.push(id);
    if (this._ended.length > 64) this._ended.shift();
  }

  _welcome() { return { session: this.session, user: this.user, iceServers: this.iceServers }; }

  _setState(s) {
    if (this.state === s) return;
    this.state = s;
    this._emit('state', { state: s });
  }

  _mustBeConnected() {
    if (this.state !== 'connected')
      throw new RtcsipError(this.state === 'reconnecting' ? 'disconnected' : 'invalid_state',
        `not connected to the gateway (${this.state})`);
  }

  async _token() {
    const t = this.options.token;
    return typeof t === 'function' ? t() : t;
  }

  // One WebSocket + hello.  Resolves the welcome; rejects unreachable /
  // unauthorized.  @resume: ask to resume the previous session.
  _open(resume) {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url, PROTOCOL);
      } catch (e) {
        reject(new RtcsipError('unreachable', `bad gateway URL ${this.url}: ${e.message}`, { cause: e }));
        return;
      }
      let settled = false;
      this._opening = ws;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this._opening === ws) this._opening = null;
        ws.onclose = null;
        ws.close();
        reject(err);
      };
      // a black-holed connect would otherwise wait for the browser's own timeout
      const timer = setTimeout(() => fail(new RtcsipError('unreachable',
        `no answer from the gateway at ${this.url} within ${this.options.requestTimeoutMs} ms`)),
      this.options.requestTimeoutMs);
      ws.onerror = () => {};
      ws.onclose = (e) => fail(new RtcsipError('unreachable',
        `cannot reach the gateway at ${this.url} (WebSocket closed, code ${e.code})`));
      ws.onmessage = (e) => this._onFrame(e.data);
      ws.onopen = async () => {
        if (this._closing) {
          fail(new RtcsipError('invalid_state', 'client closed'));
          return;
        }
        this._ws = ws;
        const hello = { type: 'hello' };
        try {
          const token = await this._token();
          if (token) hello.token = token; else if (this.options.user) hello.user = this.options.user;
        } catch (e) {
          fail(new RtcsipError('unauthorized', `no token: ${e.message || e}`, { cause: e }));
          return;
        }
        if (resume && this._resume) hello.resume = this._resume;
        this._request(hello, {
          waiter: {
            resolve: (m) => {
              if (this._closing) {
                fail(new RtcsipError('invalid_state', 'client closed'));
                return;
              }
              settled = true;
              clearTimeout(timer);
              this._opening = null;
              this.session = m.session;
              this.user = m.user;
              this.iceServers = Array.isArray(m.ice_servers) ? m.ice_servers : [];
              this._resume = m.resume || null;
              ws.onclose = (ev) => this._onClose(ws, ev);
              this._setState('connected');
              this._startKeepalive();
              resolve(m);
            },
            reject: (err) => fail(err),
          },
          expect: 'welcome',
        }).catch(() => {});
      };
    });
  }

  _send(msg) {
    if (!this._ws || this._ws.readyState !== WebSocket.OPEN) return false;
    this._ws.send(JSON.stringify(msg));
    return true;
  }

  // Sends @msg with a fresh tid.  @ctx.waiter {resolve, reject}: resolved by
  // a reply of type @ctx.expect, rejected by an error with this tid or a
  // timeout.  Returns a promise that rejects with that error (for callers
  // that want it) and never resolves otherwise.
  _request(msg, ctx = {}) {
    const tid = ++this._tid;
    msg.tid = tid;
    return new Promise((_, reject) => {
      const entry = { ...ctx, reject };
      if (ctx.expect) {
        entry.timer = setTimeout(() => {
          this._pending.delete(tid);
          const err = new RtcsipError('timeout', `no reply to ${msg.type} within ${this.options.requestTimeoutMs} ms`);
          if (ctx.waiter) ctx.waiter.reject(err);
        }, this.options.requestTimeoutMs);
      }
      this._pending.set(tid, entry);
      // tids of requests without a success reply are kept for a while only
      if (!ctx.expect) setTimeout(() => this._pending.delete(tid), 60000);
      if (!this._send(msg)) {
        this._pending.delete(tid);
        clearTimeout(entry.timer);
        const err = new RtcsipError('disconnected', `not connected: cannot send ${msg.type}`, { call: msg.call });
        if (ctx.waiter) ctx.waiter.reject(err);
        if (ctx.call) ctx.call._onError(err);
        reject(err);
      }
    });
  }

  _failPending(err) {
    for (const [tid, p] of this._pending) {
      clearTimeout(p.timer);
      if (p.waiter && p.expect) p.waiter.reject(err);
      // hold()/unhold()/accept() wait on this: their reply is lost with the connection
      if (p.call) p.reject(err);
      this._pending.delete(tid);
    }
  }

  _onFrame(data) {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    if (!m || typeof m !== 'object') return;
    const p = m.tid != null ? this._pending.get(m.tid) : undefined;
    if (m.type === 'error') {
      const err = new RtcsipError(m.code || 'internal', m.message || m.code || 'error', { call: m.call, tid: m.tid });
      if (p) {
        this._pending.delete(m.tid);
        clearTimeout(p.timer);
        p.reject(err);
        if (p.waiter && p.expect) p.waiter.reject(err);
        if (p.call) p.call._onError(err);
        return;
      }
      const call = m.call && this.calls.get(m.call);
      if (call) call._onError(err);
      else if (!m.call || !this._ended.includes(m.call)) this._emit('error', { error: err });
      return;
    }
    if (p && p.expect === m.type) {
      this._pending.delete(m.tid);
      clearTimeout(p.timer);
      p.waiter.resolve(m);
      return;
    }
    if (m.type === 'incoming') {
      if (!m.call || this.calls.has(m.call)) return;
      const call = new Call(this, { id: m.call, direction: 'inbound', from: m.from, fromName: m.from_name,
        to: m.to, sdp: m.sdp, headers: m.headers, privacy: m.withheld, asserted: m.asserted });
      this.calls.set(call.id, call);
      this._emit('incoming', { call });
      return;
    }
    const call = m.call && this.calls.get(m.call);
    if (call) call._onMessage(m);
  }

  _startKeepalive() {
    this._stopKeepalive();
    const ws = this._ws;
    this._keepalive = setInterval(() => {
      this._request({ type: 'ping' }, {
        expect: 'pong',
        waiter: {
          resolve: () => {},
          // no pong: the connection is dead even if the socket does not know
          reject: () => { if (this._ws === ws) this._lost(ws); },
        },
      }).catch(() => {});
    }, this.options.keepaliveMs);
  }

  _stopKeepalive() {
    clearInterval(this._keepalive);
    this._keepalive = null;
  }

  // No pong: treat the connection as dropped.  No close frame (it would
  // tell the gateway we left for good and end the calls): the gateway
  // closes the old connection when the new one resumes the session.
  _lost(ws) {
    ws.onclose = null;
    ws.onmessage = null;
    this._onClose(ws, { code: 1006, reason: 'no pong' });
  }

  _onClose(ws, ev) {
    if (ws !== this._ws) return;
    this._ws = null;
    this._stopKeepalive();
    this._failPending(new RtcsipError('disconnected', `connection lost (code ${ev.code})`));
    if (this._closing) return;
    // Also after a deliberate close by the gateway (restart, limit): its
    // calls are gone then, and the resume fails, but the client comes back.
    if (!this.options.reconnect) {
      this._endCalls(LOST);
      this._setState('closed');
      this._emit('error', { error: new RtcsipError('disconnected',
        `the gateway closed the connection${ev.reason ? ': ' + ev.reason : ''} (code ${ev.code})`) });
      return;
    }
    this._reconnect();
  }

  async _reconnect() {
    this._setState('reconnecting');
    let delay = this.backoff.initialMs;
    for (let attempt = 1; attempt <= this.backoff.attempts && !this._closing; attempt++) {
      const wait = delay * (0.8 + 0.4 * Math.random());
      this._emit('reconnecting', { attempt, delayMs: Math.round(wait) });
      await new Promise((r) => setTimeout(r, wait));
      if (this._closing) return;
      try {
        const m = await this._open(true);
        if (!m.resumed) this._endCalls(LOST);
        this._emit('connected', { resumed: !!m.resumed });
        return;
      } catch (e) {
        if (e.code === 'unauthorized') {
          this._giveUp(e);
          return;
        }
      }
      delay = Math.min(delay * 2, this.backoff.maxMs);
    }
    if (!this._closing)
      this._giveUp(new RtcsipError('disconnected', `the gateway at ${this.url} is unreachable`));
  }

  _giveUp(err) {
    this._endCalls(LOST);
    this._setState('closed');
    this._emit('error', { error: err });
  }

  _endCalls({ code, reason }) {
    for (const c of [...this.calls.values()]) c._end(code, reason);
  }
}
