"""test_sip_midcall.py — what happens during and around a SIP call, through
the real daemon with real peers: sipp playing the trunk's far end
(sipp/mid_*.xml), rtcsip-call playing the browser, and for the far end's
media a UDP echo this file runs when sipp's own -rtp_echo cannot do the job
(a far end that moves its media, or sits behind NAT).

Checks what a user notices: the browser holds and resumes (re-INVITEs
sendonly / sendrecv, silence then the tone again); a browser that vanishes
mid-call gets its far end a BYE within 2 s; sip.max_calls refuses a second
call (error `limit`, 503 + Retry-After); inbound calls declined (603, the
default 486) or never answered (480 after sip.ring_timeout); a delayed-offer
INVITE; the far end moving its media to a new port and switching to PCMA; a
far end behind NAT latched by symmetric RTP; a PBX behind NAT whose media
comes from its SIP address taken at its first packet, even after a stranger
spraying the port passed probation; a caller name in Latin-1.

Runs on 127.0.0.16; the far end's media (the UDP echo) on 127.0.0.17, the
stranger too; the NATed PBX on 127.0.0.23, whose SDP names 127.0.0.21
(a private address nobody reaches)."""
import asyncio
import datetime
import json
import random
import re
import select
import signal
import socket
import struct
import threading
import time
import warnings

from gwtest import tls_context
from siptest import (Browser, SipResults, Sipp, Sprayer, check_clean_stop, connected, daemon_log,
                     describe, dominant_hz, free_even_pair, free_sip_port, hangup_code, parse_rtp,
                     require_sipp, sip_daemon, states, wait_health, wait_idle, wait_log, wait_online)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # G.711 decoding of what the far end receives (stdlib, Python < 3.13)

HOST = "127.0.0.16"
MEDIA_HOST = "127.0.0.17"
PBX_HOST = "127.0.0.23"      # a PBX behind NAT: its SIP and its media
PRIVATE_HOST = "127.0.0.21"  # the private address its SDP gives; nobody there
NUMBER = "15551234"
CARRIER = "15557654321"  # the caller of the sipp/mid_uac_* scenarios


# ---- helpers ----

def gateway(d):
    return f"{HOST}:{d.sip_port}"


def no_sessions(d):
    """The previous check's browsers are gone (sessions count from 0)."""
    wait_health(d, lambda h: h.get("sessions", 0) == 0, 15, "no session left")


def alice(d, *args, timeout=60):
    return Browser(d, "--answer", "--user", "alice", "--tone", "1000", "--answer-timeout", "30",
                   *args, timeout=timeout)


def sipp_times(sipp, start_line):
    """Wall-clock times (datetime) of the messages in sipp's message trace
    whose first line starts with @start_line ("BYE", "SIP/2.0 480", ...),
    with the direction: [(datetime, "sent" | "received")]."""
    text = sipp.messages()
    out = []
    # sipp: "----...---- 2024-05-01\t12:00:00.123456\nUDP message received [n] bytes :\n\nFIRST LINE"
    for m in re.finditer(r"-{20,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)\s*\n"
                         r"\w+ message (sent|received)[^\n]*\n\s*\n([^\n]*)", text):
        if m.group(4).startswith(start_line):
            t = datetime.datetime.strptime(f"{m.group(1)} {m.group(2)[:15]}", "%Y-%m-%d %H:%M:%S.%f")
            out.append((t, m.group(3)))
    return out


def quiet_stretches(timeline, quiet=3):
    """(start, length) of every run of buckets with <= @quiet packets
    between two buckets with audio (timeline: packets per 500 ms)."""
    loud = [i for i, v in enumerate(timeline) if v > quiet]
    if not loud:
        return []
    runs, i = [], loud[0]
    while i <= loud[-1]:
        if timeline[i] <= quiet:
            j = i
            while timeline[j] <= quiet:
                j += 1
            runs.append((i, j - i))
            i = j
        i += 1
    return runs


def g711_hz(payloads, law):
    """Dominant frequency of G.711 @payloads (bytes, in order), over the
    last second of them; law "u" (PCMU) or "a" (PCMA)."""
    pcm = b"".join(audioop.ulaw2lin(p, 2) if law == "u" else audioop.alaw2lin(p, 2)
                   for p in payloads)
    x = struct.unpack(f"<{len(pcm) // 2}h", pcm)[-8000:]
    return dominant_hz(x, 8000) if x else 0


class FarMedia:
    """The far end's media on @host: one RTP/RTCP socket pair per port of
    @ports (0: any even pair), on a thread.  Every RTP datagram is recorded
    (monotonic time, port, payload type, payload, source) and sent back to
    where it came from, from the socket it came to (like sipp -rtp_echo);
    RTCP is read and dropped.  With @prime = (ip, port) it acts like a phone
    behind NAT: it first sends PCMU silence from its first port to @prime
    every 20 ms until RTP arrives, then plays back what it hears as its own
    stream (its SSRC, sequence and timestamps continuing)."""

    def __init__(self, host, ports, prime=None):
        self.socks = {}
        self.rtcp = []
        for p in ports:
            p = p or free_even_pair(host)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((host, p))
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.bind((host, p + 1))
            self.socks[p] = s
            self.rtcp.append(c)
        self.ports = list(self.socks)
        self.prime = prime
        self.primed = 0
        self.ssrc, self.seq, self.ts = random.getrandbits(32), random.getrandbits(16), random.getrandbits(32)
        self.packets = []  # (t, port, pt, payload, source)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _own_packet(self, pt, payload):
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + len(payload)) & 0xFFFFFFFF
        return struct.pack("!BBHII", 0x80, pt & 0x7F, self.seq, self.ts, self.ssrc) + payload

    def _run(self):
        fds = list(self.socks.values()) + self.rtcp
        port_of = {s: p for p, s in self.socks.items()}
        next_prime = time.monotonic()
        while not self.done.is_set():
            if self.prime and not self.packets and time.monotonic() >= next_prime:
                self.socks[self.ports[0]].sendto(self._own_packet(0, b"\xff" * 160), self.prime)
                self.primed += 1
                next_prime += 0.02
            ready, _, _ = select.select(fds, [], [], 0.01)
            for s in ready:
                data, src = s.recvfrom(4096)
                if s not in port_of:
                    continue  # RTCP
                p = parse_rtp(data)
                if not p:
                    continue
                with self.lock:
                    self.packets.append((time.monotonic(), port_of[s], p[0], p[5], src))
                s.sendto(self._own_packet(p[0], p[5]) if self.prime else data, src)

    def received(self):
        with self.lock:
            return list(self.packets)

    def stop(self):
        self.done.set()
        self.thread.join(5)
        for s in list(self.socks.values()) + self.rtcp:
            s.close()


# ---- 1. hold / unhold by the browser ----

def check_browser_hold_and_unhold(d, far):
    sipp = Sipp("mid_uas_browser_hold.xml", HOST, port=far, echo=True)
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "8",
                "--hold-at", "2", "--unhold-at", "4")
    c = b.result()
    tl = c.get("rx_timeline") or []
    print(f"   {describe(c)}\n   rx_timeline (packets per 500 ms): {tl}")
    # re-INVITE a=sendonly answered recvonly, then re-INVITE a=sendrecv
    sipp.assert_ok()
    st = states(c)
    assert "held" in st and "resumed" in st and st.index("held") < st.index("resumed"), st
    assert not c.get("errors"), c["errors"]
    # silence while held: about 2 s (4 buckets) starting near hold-at
    gaps = [g for g in quiet_stretches(tl) if g[1] >= 2]
    assert len(gaps) == 1, f"expected one silent stretch while held: {gaps} in {tl}"
    start_ms = gaps[0][0] * 500
    held_ms = c["connected_ms"] + 2000
    assert held_ms - 1000 <= start_ms <= held_ms + 1500, (start_ms, c["connected_ms"], tl)
    assert 2 <= gaps[0][1] <= 7, gaps
    # the tone is back after the resume (the last second analysed is 7-8 s in)
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


# ---- 2. the browser's WebSocket dies mid-call ----
# (no close frame: the session waits signal.resume_timeout = 2 s for the
# browser to come back, then the call ends with BYE)

RESUME_S = 2


def check_websocket_gone_sends_bye(d, far):
    mark = len(daemon_log(d))
    sipp = Sipp("mid_uas_answer_wait_bye.xml", HOST, port=far, echo=True)
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "60")
    wait_log(d, mark, r"answered \d+ ms after the call")
    time.sleep(1.5)  # media flowing
    assert b.proc.poll() is None, "rtcsip-call ended before it was killed"
    b.proc.send_signal(signal.SIGKILL)
    killed = datetime.datetime.now()
    b.proc.wait()
    sipp.assert_ok(timeout=30)
    byes = [t for t, way in sipp_times(sipp, "BYE") if way == "received"]
    assert byes, "sipp's trace shows no BYE"
    delay = (byes[0] - killed).total_seconds()
    print(f"   BYE reached the far end {delay * 1000:.0f} ms after the browser was killed")
    assert RESUME_S - 0.5 <= delay <= RESUME_S + 2.0, \
        f"BYE {delay:.2f} s after the WebSocket went away (resume_timeout {RESUME_S} s)"
    assert re.search(r"connection lost: the session waits 2 s to be resumed", daemon_log(d)[mark:])
    assert re.search(r"not resumed within 2 s: closing", daemon_log(d)[mark:])
    wait_idle(d)


# ---- 3. sip.max_calls = 1 ----

def check_max_calls_refuses_second_call(d, far):
    mark = len(daemon_log(d))
    sipp = Sipp("mid_uas_answer_wait_bye.xml", HOST, port=far, echo=True)
    first = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "10")
    wait_log(d, mark, r"answered \d+ ms after the call")
    # the browser's second call while the first is up: error `limit`
    second = Browser(d, "--to", NUMBER, "--seconds", "2", timeout=40)
    c2 = second.result()
    print(f"   second browser call: {describe(c2)}")
    codes = [e.get("code") for e in (c2 or {}).get("errors") or []]
    assert "limit" in codes, f"the second call got no `limit` error: {c2}"
    assert not connected(c2), c2
    assert second.rc != 0, "rtcsip-call called the refused call a success"
    # an inbound INVITE from the trunk's own network: 503 with Retry-After
    inv = Sipp("mid_uac_expect_503.xml", HOST, remote=gateway(d), service="alice",
               args=("-mp", str(free_even_pair(HOST))))
    inv.assert_ok()
    assert first.proc.poll() is None, "the first call did not survive the refusals"
    c1 = first.result()
    print(f"   first call: {describe(c1)}")
    sipp.assert_ok()
    assert connected(c1) and abs(c1["frequency_hz"] - 1000) <= 10, c1
    assert first.rc == 0, (first.rc, c1)
    wait_idle(d)
    # the slot is free again: the next call goes through
    sipp = Sipp("mid_uas_answer_wait_bye.xml", HOST, port=far, echo=True)
    third = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "3")
    c3 = third.result()
    print(f"   call after the first ended: {describe(c3)}")
    sipp.assert_ok()
    assert connected(c3) and third.rc == 0, (third.rc, c3)
    wait_idle(d)


# ---- 4. inbound calls declined or never answered ----

def check_reject_603_reaches_carrier(d):
    no_sessions(d)
    b = alice(d, "--reject", "603", "--seconds", "5")
    wait_online(d, 1)
    sipp = Sipp("mid_uac_expect_603.xml", HOST, remote=gateway(d), service="alice")
    sipp.assert_ok()  # 603 Decline, ACKed
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming"), c
    assert not connected(c), c
    assert c["hangup"] and c["hangup"]["by"] == "client" and hangup_code(c) == 603, c["hangup"]
    assert not c.get("errors"), c["errors"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


async def bare_alice(d, start_sipp, reject, listen):
    """A bare WebSocket browser for user alice (rtcsip-call cannot play
    these two: it always sends a code with --reject, and when it has not
    accepted, its ICE checks give up after about 5 s and it hangs up).
    Says hello, starts the carrier (@start_sipp()), waits for `incoming`,
    then sends `reject` without a code if @reject, and listens up to
    @listen s (until a `hangup` for the call).  Returns (sipp, incoming,
    [(seconds after incoming, message)])."""
    import websockets
    async with websockets.connect(d.ws_url, ssl=tls_context(), subprotocols=["rtcsip.v1"],
                                  open_timeout=10) as ws:
        await ws.send(json.dumps({"type": "hello", "user": "alice"}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert welcome.get("type") == "welcome", welcome
        sipp = start_sipp()
        while True:
            incoming = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if incoming.get("type") == "incoming":
                break
        t0 = time.monotonic()
        if reject:
            await ws.send(json.dumps({"type": "reject", "call": incoming["call"], "tid": "r1"}))
        after = []
        try:
            while time.monotonic() - t0 < listen:
                msg = json.loads(await asyncio.wait_for(ws.recv(), listen - (time.monotonic() - t0)))
                after.append((time.monotonic() - t0, msg))
                if msg.get("type") == "hangup" and msg.get("call") == incoming["call"]:
                    break
        except asyncio.TimeoutError:
            pass
        return sipp, incoming, after


def check_reject_without_code_is_486(d):
    no_sessions(d)

    def carrier():
        return Sipp("mid_uac_expect_486.xml", HOST, remote=gateway(d), service="alice")

    sipp, incoming, after = asyncio.run(bare_alice(d, carrier, reject=True, listen=1.5))
    print(f"   incoming from {incoming.get('from')}; after the reject: {after}")
    sipp.assert_ok()  # 486 Busy Here, ACKed
    assert not [m for _, m in after if m.get("type") == "error"], after
    wait_idle(d)


def check_ring_timeout_gives_480(d):
    no_sessions(d)

    def carrier():
        return Sipp("mid_uac_ring_timeout.xml", HOST, remote=gateway(d), service="alice")

    # alice's browser rings and nobody answers
    sipp, incoming, after = asyncio.run(bare_alice(d, carrier, reject=False, listen=15))
    sipp.assert_ok()  # 180, then 480 with a Reason header
    invite = [t for t, way in sipp_times(sipp, "INVITE") if way == "sent"]
    final = [t for t, way in sipp_times(sipp, "SIP/2.0 480") if way == "received"]
    assert invite and final, "sipp's trace lacks the INVITE or the 480"
    rang = (final[0] - invite[0]).total_seconds()
    hangups = [(t, m) for t, m in after if m.get("type") == "hangup"]
    print(f"   480 came {rang:.2f} s after the INVITE; the browser got {after}")
    # sip.ring_timeout = 5 (GLib second timers: up to 1 s late)
    assert 4.5 <= rang <= 7.5, rang
    assert hangups, f"the browser never got hangup: {after}"
    t, m = hangups[0]
    assert m.get("call") == incoming["call"] and m.get("code") == 480, m
    assert 3.5 <= t <= 7.5, f"hangup {t:.2f} s after incoming"
    wait_idle(d)


# ---- 5. delayed offer ----

def check_delayed_offer_answered_in_ack(d):
    no_sessions(d)
    b = alice(d, "--seconds", "30", "--expect-hangup", "200")
    wait_online(d, 1)
    # 200 carries the gateway's RTP/AVP offer; the ACK answers PCMU; the
    # carrier echoes RTP and hangs up 4 s after the answer
    sipp = Sipp("mid_uac_delayed_offer.xml", HOST, remote=gateway(d), service="alice",
                pause_ms=4000, echo=True)
    sipp.assert_ok()
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming") and connected(c), c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert c["received"] >= 100, c
    assert hangup_code(c) == 200, c.get("hangup")
    assert not c.get("errors"), c["errors"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


# ---- 6. the far end moves its media and changes codec ----

def check_far_end_new_port_and_pcma(d, far):
    media = FarMedia(MEDIA_HOST, [0, 0])
    old, new = media.ports
    try:
        sipp = Sipp("mid_uas_move_media.xml", HOST, port=far,
                    sets={"media_host": MEDIA_HOST, "port1": old, "port2": new})
        b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "30",
                    "--expect-hangup", "200")
        c = b.result()
        sipp.assert_ok()  # the 200s answered PCMU on the move, PCMA after it
    finally:
        media.stop()
    tl = c.get("rx_timeline") or []
    pk = media.received()
    on_old = [p for p in pk if p[1] == old]
    on_new = [p for p in pk if p[1] == new]
    pcmu_new = [p for p in on_new if p[2] == 0]
    pcma_new = [p for p in on_new if p[2] == 8]
    print(f"   {describe(c)}\n   rx_timeline: {tl}\n   far end: {len(on_old)} packets on the old "
          f"port, {len(pcmu_new)} PCMU then {len(pcma_new)} PCMA on the new one, "
          f"payload types {sorted(set(p[2] for p in pk))}")
    # 3 s on each: about 150 packets, at least half of it
    assert len(on_old) >= 75 and len(pcmu_new) >= 75 and len(pcma_new) >= 75, \
        (len(on_old), len(pcmu_new), len(pcma_new))
    # the old port stops receiving once the new one does
    moved = on_new[0][0]
    late = [p for p in on_old if p[0] > moved + 0.3]
    assert not late, f"{len(late)} packets still went to the old port after the move"
    # the codec change: PCMU before the first PCMA packet, never after it
    switched = pcma_new[0][0]
    assert not [p for p in pk if p[2] != 8 and p[0] > switched + 0.3], "PCMU after the switch to PCMA"
    assert set(p[2] for p in pk) <= {0, 8}, "unexpected payload types"
    # what the far end heard is the browser's tone at every stage
    hz = (g711_hz([p[3] for p in on_old], "u"), g711_hz([p[3] for p in pcmu_new], "u"),
          g711_hz([p[3] for p in pcma_new], "a"))
    print(f"   far end heard {hz[0]} Hz (old port, PCMU), {hz[1]} Hz (new port, PCMU), "
          f"{hz[2]} Hz (PCMA)")
    assert all(abs(h - 1000) <= 10 for h in hz), hz
    # the browser heard the echo throughout (no second of silence) and at
    # the end, through PCMA, still 1 kHz
    assert not [g for g in quiet_stretches(tl) if g[1] >= 2], f"audio stopped: {tl}"
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert hangup_code(c) == 200, c.get("hangup")
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


# ---- 7. symmetric RTP ----

def check_symmetric_rtp_latches(d, far, rtp_port):
    mark = len(daemon_log(d))
    wrong = free_even_pair(MEDIA_HOST)  # nothing listens there
    media = FarMedia(MEDIA_HOST, [0], prime=(HOST, rtp_port))
    real = media.ports[0]
    try:
        sipp = Sipp("mid_uas_answer_wrong_port.xml", HOST, port=far,
                    sets={"media_host": MEDIA_HOST, "port": wrong})
        b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5")
        c = b.result()
        sipp.assert_ok()
    finally:
        media.stop()
    pk = media.received()
    print(f"   {describe(c)}\n   far end: sent {media.primed} packets before the gateway's "
          f"first, then received {len(pk)} from {sorted(set(p[4] for p in pk))}")
    log = daemon_log(d)[mark:]
    m = re.search(r"symmetric RTP: latched to ([0-9.:]+)", log)
    assert m and m.group(1) == f"{MEDIA_HOST}:{real}", f"no latch to {MEDIA_HOST}:{real}: {m}"
    assert len(pk) >= 100 and {p[4] for p in pk} == {(HOST, rtp_port)}, pk[:3]
    assert connected(c), c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


def check_nat_pbx_media_from_its_sip_address(d, far, rtp_port):
    """A PBX behind NAT (its SIP and its media from PBX_HOST) answers with
    its private address (PRIVATE_HOST; nobody there).  A stranger
    elsewhere (MEDIA_HOST) sprays the gateway's RTP port from before the
    INVITE and passes probation once the answer is in; only then does the
    PBX start sending, from another port of its SIP address.  Its first
    packet takes over (before, the stranger kept the call: the browser
    heard its 3 kHz and the PBX got nothing): the browser hears the 1 kHz
    echo and the gateway latches to the PBX."""
    mark = len(daemon_log(d))
    private = free_even_pair(PRIVATE_HOST)
    spray = Sprayer(HOST, rtp_port, src_host=MEDIA_HOST)
    media = None
    try:
        sipp = Sipp("mid_uas_answer_wrong_port.xml", PBX_HOST, port=far,
                    sets={"media_host": PRIVATE_HOST, "port": private})
        b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5")
        stranger = wait_log(d, mark, r"media from (127\.0\.0\.17:\d+), not the SDP's [0-9.:]+: "
                            r"taken after \d+ packets", timeout=10)
        media = FarMedia(PBX_HOST, [0], prime=(HOST, rtp_port))
        c = b.result()
        sipp.assert_ok()
    finally:
        if media:
            media.stop()
        spray.stop()
    real = media.ports[0]
    pk = media.received()
    log = daemon_log(d)[mark:]
    taken = re.search(r"media from ([0-9.:]+), not the SDP's [0-9.:]+ but the SIP peer's address",
                      log)
    latch = re.findall(r"symmetric RTP: latched to ([0-9.:]+)", log)
    print(f"   {describe(c)}\n   stranger {stranger.group(1)} sprayed {spray.sent}; PBX "
          f"{PBX_HOST}:{real} received {len(pk)}; taken: {taken and taken.group(1)}; "
          f"latched to {latch}")
    assert taken and taken.group(1) == f"{PBX_HOST}:{real}", log[-3000:]
    assert log.index(stranger.group(0)) < log.index(taken.group(0))
    assert latch and latch[-1] == f"{PBX_HOST}:{real}", latch
    assert connected(c), c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert len(pk) >= 100, len(pk)
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


# ---- 8. a caller name in Latin-1 ----

def check_latin1_caller_name_rings(d):
    no_sessions(d)
    b = alice(d, "--seconds", "30", "--expect-hangup", "200")
    wait_online(d, 1)
    sipp = Sipp("mid_uac_latin1_from.xml", HOST, remote=gateway(d), service="alice",
                pause_ms=3000, echo=True)
    sipp.assert_ok()  # 180 and 200 with PCMU: the INVITE was not dropped
    with open(sipp.files["messages"], "rb") as f:
        assert b'From: "Soci\xe9t\xe9"' in f.read(), "sipp did not send the Latin-1 bytes"
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming"), c
    assert CARRIER in str(c["incoming"].get("from") or ""), c["incoming"]
    assert connected(c), c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert hangup_code(c) == 200, c.get("hangup")
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


def main():
    require_sipp()
    far = free_sip_port(HOST)
    res = SipResults()
    with sip_daemon(HOST, far, groups={"signal": {"resume_timeout": str(RESUME_S)}}) as d:
        res.run("midcall_browser_hold_sends_sendonly_then_sendrecv_and_silences_audio",
                check_browser_hold_and_unhold, d, far)
        res.run("midcall_websocket_gone_sends_bye_once_resume_time_is_over", check_websocket_gone_sends_bye, d, far)
        res.run("inbound_browser_reject_603_reaches_carrier", check_reject_603_reaches_carrier, d)
        res.run("inbound_browser_reject_without_code_is_486", check_reject_without_code_is_486, d)
        res.run("inbound_delayed_offer_answered_in_ack_and_tone_echoed",
                check_delayed_offer_answered_in_ack, d)
        res.run("midcall_far_end_new_port_and_pcma_followed", check_far_end_new_port_and_pcma, d, far)
        res.run("inbound_latin1_caller_name_still_rings_and_answers", check_latin1_caller_name_rings, d)
        res.run("midcall_daemon_stops_cleanly", check_clean_stop, d)
    with sip_daemon(HOST, far, sip={"max_calls": "1", "ring_timeout": "5"}) as d:
        res.run("limits_max_calls_1_refuses_browser_call_and_inbound_invite",
                check_max_calls_refuses_second_call, d, far)
        res.run("limits_ring_timeout_gives_480_and_browser_hangup", check_ring_timeout_gives_480, d)
        res.run("limits_daemon_stops_cleanly", check_clean_stop, d)
    rtp_port = free_even_pair(HOST)
    with sip_daemon(HOST, far, trunk_over={"symmetric_rtp": "true"},
                    sip={"rtp_port_range": f"{rtp_port}-{rtp_port + 1}"}) as d:
        res.run("symmetric_rtp_latches_to_far_end_behind_nat", check_symmetric_rtp_latches, d, far,
                rtp_port)
        res.run("symmetric_daemon_stops_cleanly", check_clean_stop, d)
    pbx = free_sip_port(PBX_HOST)
    with sip_daemon(HOST, far, trunk_over={"proxy": f"sip:{PBX_HOST}:{pbx}",
                                           "allowed_networks": f"{PBX_HOST}/32",
                                           "symmetric_rtp": "true"},
                    sip={"rtp_port_range": f"{rtp_port}-{rtp_port + 1}"}) as d:
        res.run("symmetric_nat_pbx_media_from_its_sip_address_beats_a_stranger",
                check_nat_pbx_media_from_its_sip_address, d, pbx, rtp_port)
        res.run("nat_pbx_daemon_stops_cleanly", check_clean_stop, d)
    res.exit()


if __name__ == "__main__":
    main()
