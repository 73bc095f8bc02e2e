"""test_sip_passthrough.py — a browser that offers only PCMU reaches a PCMU
trunk without transcoding when media.passthrough = true: the rtcsip-call
browser (--codec pcmu) calls through the real daemon to sipp's RTP echo
(contrib/sip-echo/echo-uas.xml), hears its 1 kHz tone back untouched, and
the daemon logs the call as passthrough.  An Opus browser on the same
daemon is still transcoded, and without media.passthrough a PCMU-only
offer is refused with a reason.

Runs on 127.0.0.32."""
import os
import re

from siptest import (Browser, SipResults, Sipp, check_clean_stop, connected, daemon_log, describe,
                     free_sip_port, require_sipp, sip_daemon, wait_idle)
from gwtest import SRCDIR

HOST = "127.0.0.32"
NUMBER = "15550100"
ECHO_UA = os.path.join(SRCDIR, "contrib", "sip-echo", "echo-uas.xml")


def media_lines(d, call):
    return [line for line in daemon_log(d).splitlines()
            if f"[call {call} " in line and ("media:" in line or "media counters:" in line)]


def check_pcmu_browser_is_relayed_untouched(d, far):
    sipp = Sipp(ECHO_UA, HOST, port=far, echo=True)
    b = Browser(d, "--to", NUMBER, "--codec", "pcmu", "--tone", "1000", "--seconds", "4")
    c = b.result()
    print(f"   {describe(c)}")
    assert b.rc == 0, (b.rc, c)
    assert connected(c) and c["codec"] == "PCMU", c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert c["received"] >= 150 and c["lost"] == 0, c
    wait_idle(d)
    lines = media_lines(d, c["call"])
    print("   " + "\n   ".join(x[x.find("media"):] for x in lines))
    assert any(re.search(r"media: browser PCMU/0 <-> SIP PCMU/0 .*\(passthrough\)", x) for x in lines), lines
    assert any("passthrough=1" in x for x in lines), lines
    sipp.stop()


def check_opus_browser_is_still_transcoded(d, far):
    sipp = Sipp(ECHO_UA, HOST, port=far, echo=True)
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "3")
    c = b.result()
    assert b.rc == 0 and connected(c) and c["codec"] == "opus", c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    wait_idle(d)
    lines = media_lines(d, c["call"])
    assert any(re.search(r"media: browser opus/\d+ <-> SIP PCMU/0 ", x) and "(passthrough)" not in x
               for x in lines), lines
    assert any("passthrough=0" in x for x in lines), lines
    sipp.stop()


def check_pcmu_only_offer_refused_without_passthrough(d, far):
    b = Browser(d, "--to", NUMBER, "--codec", "pcmu", "--seconds", "2")
    c = b.result()
    print(f"   {describe(c)}")
    assert b.rc != 0 and not connected(c), c
    errs = c.get("errors") or []
    assert any(e.get("code") == "bad_request" and "opus" in e.get("message", "").lower() for e in errs), errs
    wait_idle(d)


def main():
    require_sipp()
    r = SipResults()
    far = free_sip_port(HOST)
    d = sip_daemon(HOST, far, groups={"media": {"passthrough": "true"}}, trunk_over={"codecs": "PCMU"})
    r.run("pcmu_browser_is_relayed_untouched", check_pcmu_browser_is_relayed_untouched, d, far)
    r.run("opus_browser_is_still_transcoded", check_opus_browser_is_still_transcoded, d, far)
    r.run("clean_stop", check_clean_stop, d)
    d = sip_daemon(HOST, far, trunk_over={"codecs": "PCMU"})
    r.run("pcmu_only_offer_refused_without_passthrough", check_pcmu_only_offer_refused_without_passthrough,
          d, far)
    r.run("clean_stop_without_passthrough", check_clean_stop, d)
    r.exit()


if __name__ == "__main__":
    main()
