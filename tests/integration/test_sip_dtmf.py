"""test_sip_dtmf.py — digits the browser sends reach the SIP far end, per
the trunk's dtmf mode: RFC 4733 events (decoded here from the RTP the
gateway sends to a socket this test owns, with the payload type the
gateway's own offer named) or SIP INFO application/dtmf-relay (checked by
sipp/uas_dtmf_info.xml), in order.

Runs on 127.0.0.13."""
import re
import socket
import threading

from siptest import (Browser, SipResults, Sipp, check_clean_stop, connected, describe,
                     free_sip_port, parse_rtp, require_sipp, rfc4733_digits, sip_daemon, wait_idle)

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
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(2048)
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
    res.exit()


if __name__ == "__main__":
    main()
