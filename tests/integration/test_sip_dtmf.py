"""test_sip_dtmf.py — digits the browser sends reach the SIP far end, per
the trunk's dtmf mode: RFC 4733 events (decoded here from the RTP the
gateway sends to a socket this test owns, with the payload type the
gateway's own offer named) or SIP INFO application/dtmf-relay (checked by
sipp/uas_dtmf_info.xml), in order.  A digit the far end sends while the
gateway is stalled still reaches the browser.

Runs on 127.0.0.13."""
import re
import socket
import struct
import threading
import time

from siptest import (RFC4733_DIGITS, Browser, SipResults, Sipp, check_clean_stop, connected,
                     daemon_log, describe, free_sip_port, parse_rtp, require_sipp, rfc4733_digits,
                     sip_daemon, stopped, wait_idle)

HOST = "127.0.0.13"
NUMBER = "15551234"
DIGITS = "159#"


class RtpSink:
    """A UDP socket on HOST that keeps every RTP packet it receives."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.packets = []
        self.peer = None     # where the gateway's RTP comes from
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, self.peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            p = parse_rtp(data)
            if p:
                self.packets.append(p)

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def check_rfc4733_digits_arrive_in_order(far):
    sink = RtpSink()
    try:
        with sip_daemon(HOST, far, trunk_over={"dtmf": "rfc4733"}) as d:
            sipp = Sipp("uas_dtmf_rfc4733.xml", HOST, port=far, sets={"dtmf_port": sink.port})
            b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5",
                        "--dtmf", DIGITS, "--dtmf-at", "1")
            c = b.result()
            print(f"   {describe(c)}")
            sipp.assert_ok()
            wait_idle(d)
            check_clean_stop(d)
    finally:
        sink.close()
    # (the sink sends no audio back, so rtcsip-call's own exit status is 1)
    assert connected(c), c
    assert not c.get("errors"), c["errors"]
    # the telephone-event payload type of the gateway's offer (the answer
    # repeated it, so the gateway must send events with it)
    m = re.search(r"a=rtpmap:(\d+) telephone-event/8000", sipp.messages())
    assert m, "no telephone-event in the offer"
    pt = int(m.group(1))
    pts = sorted({p[0] for p in sink.packets})
    digits, events = rfc4733_digits(sink.packets, pt)
    print(f"   {len(sink.packets)} RTP packets, payload types {pts}; telephone-event pt {pt}: "
          f"events {events}")
    assert 0 in pts, f"no PCMU audio reached the far end: {pts}"
    assert digits == DIGITS, f"far end decoded {digits!r}, browser sent {DIGITS!r}: {events}"
    # each digit lasted (RFC 4733 duration in 8 kHz units: 40 ms at least)
    assert all(e[2] >= 320 for e in events), events


class FarEndSender:
    """The far end's RTP from the sink's socket (its SDP address) to where
    the gateway's RTP comes from: PCMU silence every 20 ms, and on
    digit() one RFC 4733 event, sent at once: a start, two updates and
    the three end packets (RFC 4733 2.5.1.4), 640 samples (80 ms)."""

    SSRC = 0x5eed4733

    def __init__(self, sink, event_pt):
        self.sink, self.pt = sink, event_pt
        self.seq, self.ts = 1000, 8000
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _send(self, pt, marker, ts, payload):
        hdr = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self.seq & 0xFFFF, ts, self.SSRC)
        self.seq += 1
        self.sink.sock.sendto(hdr + payload, self.sink.peer)

    def _run(self):
        while self.running:
            with self.lock:
                self._send(0, False, self.ts, b"\xff" * 160)
                self.ts += 160
            time.sleep(0.02)

    def digit(self, d):
        code = RFC4733_DIGITS.index(d)
        with self.lock:
            ts = self.ts
            for i, dur in enumerate((160, 320, 480)):
                self._send(self.pt, i == 0, ts, struct.pack("!BBH", code, 10, dur))
            for _ in range(3):
                self._send(self.pt, False, ts, struct.pack("!BBH", code, 0x80 | 10, 640))
            self.ts += 640

    def close(self):
        self.running = False
        self.thread.join()


def check_far_end_digit_survives_a_stall(far):
    """media.max_queue_ms (200): the daemon is stopped (SIGSTOP) for 0.8 s,
    as a descheduled core stalls it, and the far end sends the digit 5 as
    RFC 4733 events 0.2 s into the stall, among its audio.  Read after the
    stall, the audio that waited over 200 ms is dropped (sip_stale), but
    the events are kept: the browser gets `dtmf` 5.  A digit late beats a
    digit lost."""
    sink = RtpSink()
    sender = None
    try:
        with sip_daemon(HOST, far, trunk_over={"dtmf": "rfc4733"},
                        groups={"media": {"max_queue_ms": "200"}}) as d:
            sipp = Sipp("uas_dtmf_rfc4733.xml", HOST, port=far, sets={"dtmf_port": sink.port})
            mark = len(daemon_log(d))
            b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5")
            deadline = time.monotonic() + 30
            while sink.peer is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sink.peer, "the gateway never sent RTP to the far end"
            # the telephone-event type of the gateway's offer, which the
            # far end's answer repeats
            m = None
            while not m and time.monotonic() < deadline:
                m = re.search(r"a=rtpmap:(\d+) telephone-event/8000", sipp.messages())
                time.sleep(0.05)
            assert m, "no telephone-event in the offer"
            sender = FarEndSender(sink, int(m.group(1)))
            time.sleep(1.0)
            t0 = time.monotonic()
            with stopped(d):
                time.sleep(0.2)
                sender.digit("5")
                time.sleep(0.6)
            stalled = time.monotonic() - t0
            c = b.result()
            sender.close()
            sender = None
            sipp.assert_ok()
            wait_idle(d)
            log = daemon_log(d)[mark:]
            check_clean_stop(d)
    finally:
        if sender:
            sender.close()
        sink.close()
    m = re.search(r"media counters: .*browser_stale=(\d+) sip_stale=(\d+)", log)
    print(f"   {describe(c)}\n   stalled {stalled:.2f} s; DTMF received {c.get('dtmf_received')!r}; "
          f"{m and m.group(0)}")
    assert connected(c), c
    assert m, "no media counters line"
    # the far end's audio of the stall's first 0.6 s or so waited too long
    # (about 30 packets; fewer when the sender thread is starved)
    assert int(m.group(2)) >= 5, m.group(0)
    assert c.get("dtmf_received") == "5", f"the browser got DTMF {c.get('dtmf_received')!r}, not '5'"


def check_info_digits_arrive_in_order(far):
    with sip_daemon(HOST, far, trunk_over={"dtmf": "info"}) as d:
        sipp = Sipp("uas_dtmf_info.xml", HOST, port=far, echo=True)
        b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5",
                    "--dtmf", DIGITS, "--dtmf-at", "1")
        c = b.result()
        print(f"   {describe(c)}")
        # four INFO requests, application/dtmf-relay, Signal=1 5 9 #, in order
        sipp.assert_ok()
        assert connected(c), c
        assert not c.get("errors"), c["errors"]
        assert b.rc == 0, (b.rc, c)
        wait_idle(d)
        check_clean_stop(d)


def main():
    require_sipp()
    far = free_sip_port(HOST)
    res = SipResults()
    res.run("dtmf_rfc4733_trunk_far_end_decodes_159hash_in_order", check_rfc4733_digits_arrive_in_order, far)
    res.run("dtmf_info_trunk_far_end_gets_four_info_in_order", check_info_digits_arrive_in_order, far)
    res.run("far_end_digit_reaches_the_browser_through_a_stall", check_far_end_digit_survives_a_stall, far)
    res.exit()


if __name__ == "__main__":
    main()
