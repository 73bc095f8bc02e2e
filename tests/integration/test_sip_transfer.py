"""test_sip_transfer.py — transfers the SIP far end asks for (an incoming
REFER), through the real daemon: the rtcsip-call browser calls a number, the
trunk's far end A (sipp, sipp/xfer_a_*.xml) answers and sends REFER to a
transfer target B (another sipp, sipp/xfer_b_*.xml, on its own address).

What each check asserts is what the people on the call notice: A gets 202,
NOTIFY 100 and NOTIFY 200, then the gateway's BYE; B gets an INVITE whose
offer uses the same gateway RTP port as A's; the browser hears its 1 kHz tone
echoed by B (A echoes nothing, so the tone can only come from B) and sees
`transferring` then `connected`; A hanging up right after the 202 does not
end the call; a busy target leaves the call with A, which gets the failure
NOTIFY (sipfrag 486, subscription terminated); the browser hanging up
while B rings cancels B; with sip.accept_refer = false A gets 603 and
the call goes on; and a transferor that sends no RTP while B rings longer
than media.rtp_timeout does not get the call cut with 408.

Runs on 127.0.0.18 (the daemon and A) and 127.0.0.19 (B)."""
import os
import re

from siptest import (Browser, SipResults, Sipp, check_clean_stop, daemon_log, describe,
                     free_sip_port, hangup_code, require_sipp, scenario_variant, sip_daemon, states,
                     wait_idle)

HOST = "127.0.0.18"
TARGET_HOST = "127.0.0.19"
NUMBER = "15551234"


def target():
    """A port for B on its own address and the Refer-To URI naming it."""
    port = free_sip_port(TARGET_HOST)
    return port, f"sip:bob@{TARGET_HOST}:{port}"


def offered_rtp_port(sipp):
    """The m=audio port of the first INVITE @sipp received."""
    m = re.search(r"INVITE sip:.*?m=audio (\d+)", sipp.messages(), re.S)
    assert m, f"no INVITE with SDP in sipp {sipp.name}'s messages"
    return int(m.group(1))


def after(st, first, then):
    """@then occurs in @st after the first @first."""
    return first in st and then in st[st.index(first) + 1:]


def check_refer_transfers_call_to_target(d, far):
    bport, uri = target()
    b_side = Sipp("xfer_b_answer_echo.xml", TARGET_HOST, port=bport, echo=True)
    a_side = Sipp("xfer_a_refer_notify_bye.xml", HOST, port=far, sets={"target": uri})
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "8")
    c = b.result()
    tl = c.get("rx_timeline") or []
    print(f"   {describe(c)}\n   rx_timeline (packets per 500 ms): {tl}")
    # A: 202, NOTIFY 100, NOTIFY 200 (subscription terminated), then BYE
    a_side.assert_ok()
    # B: an RTP/AVP offer, answered, and the BYE when the browser hung up
    b_side.assert_ok()
    assert offered_rtp_port(b_side) == offered_rtp_port(a_side), \
        "the target's offer does not use the call's SIP RTP port"
    st = states(c)
    assert after(st, "connected", "transferring"), st
    assert after(st, "transferring", "connected"), st
    # A never echoes: the 1 kHz tone at the end came back from B
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert sum(tl[-6:]) >= 100, tl  # B's echo flowed for the last 3 s
    assert c["hangup"] and c["hangup"]["by"] == "client", c["hangup"]
    assert not c.get("errors"), c["errors"]
    assert b.rc == 0, (b.rc, c)
    assert f"transferred to {uri}" in daemon_log(d)
    wait_idle(d)


def check_transferor_hanging_up_after_202_keeps_call(d, far):
    """Also: the browser withheld its number (`privacy`), and the
    target's INVITE withholds it too."""
    bport, uri = target()
    b_side = Sipp("xfer_b_answer_echo.xml", TARGET_HOST, port=bport, echo=True)
    a_side = Sipp("xfer_a_refer_then_bye.xml", HOST, port=far, sets={"target": uri},
                  args=("-aa",))
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "7", "--privacy")
    c = b.result()
    print(f"   {describe(c)}")
    a_side.assert_ok()  # its BYE got 200
    b_side.assert_ok()
    invite = b_side.invite_head()
    assert "anonymous@anonymous.invalid" in invite, invite
    assert re.search(r"^Privacy: id\s*$", invite, re.M), invite
    assert "rtcsip-call" not in invite, invite
    st = states(c)
    assert after(st, "transferring", "connected"), st
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    # the call ended when the browser hung up, not when A left
    assert c["hangup"] and c["hangup"]["by"] == "client", c["hangup"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


def check_busy_target_leaves_call_with_transferor(d, far):
    bport, uri = target()
    b_side = Sipp("xfer_b_busy.xml", TARGET_HOST, port=bport)
    a_side = Sipp("xfer_a_refer_fails.xml", HOST, port=far, echo=True, sets={"target": uri})
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "30", "--expect-hangup", "200")
    c = b.result()
    print(f"   {describe(c)}")
    b_side.assert_ok()  # 486 ACKed
    # A: 202, NOTIFY 100, NOTIFY 486 (subscription terminated) and no other
    # NOTIFY; kept the call 5 s after the REFER, then its BYE got 200
    a_side.assert_ok()
    st = states(c)
    assert after(st, "connected", "transferring"), st
    assert not after(st, "transferring", "connected"), st
    # A's BYE ended the call (about 6 s in), its echo was heard to the end
    assert hangup_code(c) == 200 and c["hangup"]["by"] == "gateway", c.get("hangup")
    assert c["hangup"]["ms"] < 20000, c["hangup"]
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert b.rc == 0, (b.rc, c)
    assert f"transfer to {uri} failed: 486" in daemon_log(d)
    wait_idle(d)


def check_browser_hangup_during_transfer_cancels_target(d, far):
    bport, uri = target()
    b_side = Sipp("uas_ring_cancel.xml", TARGET_HOST, port=bport)
    a_side = Sipp("xfer_a_refer_browser_hangup.xml", HOST, port=far, echo=True,
                  sets={"target": uri}, args=("-aa",))
    b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "4")
    c = b.result()
    print(f"   {describe(c)}")
    b_side.assert_ok()  # CANCEL, 487, ACK
    a_side.assert_ok()  # BYE
    st = states(c)
    assert after(st, "connected", "transferring"), st
    assert not after(st, "transferring", "connected"), st
    # while B rang the browser still talked to A (its echo)
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert b.rc == 0, (b.rc, c)
    assert f"call ended during the transfer: cancelling {uri}" in daemon_log(d)
    wait_idle(d)  # no call and no SIP dialog left behind


def check_refer_declined_without_accept_refer(far):
    with sip_daemon(HOST, far) as d:
        _, uri = target()
        a_side = Sipp("xfer_a_refer_declined.xml", HOST, port=far, echo=True,
                      sets={"target": uri})
        b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5")
        c = b.result()
        print(f"   {describe(c)}")
        a_side.assert_ok()  # 603, then the BYE when the browser hung up
        assert "transferring" not in states(c), states(c)
        # the call went on with A: its echo to the end, ended by the browser
        assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
        assert c["hangup"] and c["hangup"]["by"] == "client", c["hangup"]
        assert b.rc == 0, (b.rc, c)
        wait_idle(d)
        check_clean_stop(d)


def check_silent_transferor_not_cut_by_rtp_timeout(far):
    """media.rtp_timeout = 4 while a transfer is under way: the transferor
    A never sends RTP (2 s until its REFER), the target B rings 6 s.  The
    timeout is paused from the REFER to B's answer, so the call is not
    ended with 408 while B rings (without the pause it would be, 4 s after
    A's answer); B's echo then brings the tone back."""
    with sip_daemon(HOST, far, sip={"accept_refer": "true"}, groups={"media": {"rtp_timeout": "4"}}) as d:
        bport, uri = target()
        ring6 = scenario_variant("xfer_b_answer_echo.xml", [6000])
        try:
            b_side = Sipp(ring6, TARGET_HOST, port=bport, echo=True)
            a_side = Sipp("xfer_a_refer_notify_bye.xml", HOST, port=far, sets={"target": uri})
            b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "14")
            c = b.result()
            a_side.assert_ok()
            b_side.assert_ok()
        finally:
            os.unlink(ring6)
        tl = c.get("rx_timeline") or []
        print(f"   {describe(c)}\n   rx_timeline (packets per 500 ms): {tl}")
        assert "no RTP from the far end" not in daemon_log(d), "ended by media.rtp_timeout"
        st = states(c)
        assert after(st, "transferring", "connected"), st
        assert c["hangup"] and c["hangup"]["by"] == "client", c["hangup"]
        assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
        assert sum(tl[-6:]) >= 100, tl  # B's echo flowed for the last 3 s
        wait_idle(d)


def main():
    require_sipp()
    far = free_sip_port(HOST)
    res = SipResults()
    with sip_daemon(HOST, far, sip={"accept_refer": "true"}) as d:
        res.run("transfer_refer_moves_call_to_target_and_tone_comes_back_from_it",
                check_refer_transfers_call_to_target, d, far)
        res.run("transfer_goes_on_when_transferor_hangs_up_after_202",
                check_transferor_hanging_up_after_202_keeps_call, d, far)
        res.run("transfer_to_busy_target_leaves_call_with_transferor",
                check_busy_target_leaves_call_with_transferor, d, far)
        res.run("transfer_browser_hangup_while_target_rings_cancels_it",
                check_browser_hangup_during_transfer_cancels_target, d, far)
        res.run("transfer_daemon_stops_cleanly", check_clean_stop, d)
    res.run("transfer_refer_refused_603_without_accept_refer_and_call_goes_on",
            check_refer_declined_without_accept_refer, far)
    res.run("transfer_silent_transferor_not_cut_by_rtp_timeout_while_target_rings",
            check_silent_transferor_not_cut_by_rtp_timeout, far)
    res.exit()


if __name__ == "__main__":
    main()
