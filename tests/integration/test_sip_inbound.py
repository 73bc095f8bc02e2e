"""test_sip_inbound.py — SIP to browser through the real daemon: sipp plays a
carrier sending INVITEs (sipp/uac_*.xml) to users of the gateway, and
rtcsip-call plays the browser user "alice" (--answer).  Checks what the
carrier and alice notice: ringing then an answer with plain RTP/AVP PCMU and
alice's tone echoed back to her, the first of two sessions to answer takes
the call, nobody online gives 480, an address outside the trunk's networks
gets 403 and never rings alice, a CANCEL while ringing ends alice's call,
a [dids] number reaches alice, (media.rtp_timeout) a carrier that sends
no RTP after the answer is hung up with Reason 408, (sip.100rel) a
carrier that requires reliable provisional responses gets them, or 420
when they are turned off (globally or for the trunk), with our offer in the reliable 180 when its
INVITE has none (answered in the PRACK, or 488 when not), and (RFC 3325, 3323) alice is shown the
caller the carrier asserts (P-Asserted-Identity), "anonymous" for a
caller who asked for privacy, and From with trunk.trust_pai = false.

Runs on 127.0.0.11; the refused source is 127.0.0.91."""
import json
import random
import socket

from siptest import (Browser, SipResults, Sipp, check_clean_stop, connected, describe,
                     free_sip_port, hangup_code, parse_response, require_sipp, sip_daemon,
                     sip_request, state_ms, states, udp_options, wait_health, wait_idle,
                     wait_online)

HOST = "127.0.0.11"
NOT_ALLOWED = "127.0.0.91"
DID = "+15550001"


def gateway(d):
    return f"{HOST}:{d.sip_port}"


def no_sessions(d):
    """The previous check's browsers are gone (sessions count from 0)."""
    wait_health(d, lambda h: h.get("sessions", 0) == 0, 15, "no session left")


def alice(d, *args, timeout=60):
    return Browser(d, "--answer", "--user", "alice", "--tone", "1000", "--answer-timeout", "30",
                   *args, timeout=timeout)


def check_alice_answers_and_hears_her_tone(d):
    no_sessions(d)
    b = alice(d, "--seconds", "30", "--expect-hangup", "200")
    wait_online(d, 1)
    # the carrier hangs up 4 s after the answer
    sipp = Sipp("uac_call_echo.xml", HOST, remote=gateway(d), service="alice", pause_ms=4000, echo=True)
    sipp.assert_ok()  # 180, then 200 with RTP/AVP PCMU, and its BYE got 200
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming"), c
    assert "alice" in str(c["incoming"].get("to", "")), c["incoming"]
    assert "15557654321" in str(c["incoming"].get("from", "")), c["incoming"]
    assert connected(c), c
    # alice's tone went to the carrier (sipp -rtp_echo) and came back
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert hangup_code(c) == 200, c.get("hangup")
    assert not c.get("errors"), c["errors"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


def check_first_of_two_sessions_answers(d):
    no_sessions(d)
    fast = alice(d, "--seconds", "30", "--answer-delay", "500", "--expect-hangup", "200")
    slow = alice(d, "--seconds", "30", "--answer-delay", "3000")
    wait_online(d, 2)
    sipp = Sipp("uac_call_echo.xml", HOST, remote=gateway(d), service="alice", pause_ms=3000, echo=True)
    sipp.assert_ok()
    cf, cs = fast.result(), slow.result()
    print(f"   fast: {describe(cf)}\n   slow: {describe(cs)}")
    # both rang; the first to answer got the call, the other was told so
    assert cf and cf.get("incoming") and cs and cs.get("incoming"), (cf, cs)
    assert connected(cf), cf
    assert hangup_code(cf) == 200 and fast.rc == 0, (fast.rc, cf)
    assert abs(cf["frequency_hz"] - 1000) <= 10, cf["frequency_hz"]
    assert not connected(cs), cs
    assert cs.get("hangup"), cs
    print(f"   the slow session's hangup: {cs['hangup']}")
    wait_idle(d)


def check_nobody_online_gets_480(d):
    no_sessions(d)
    sipp = Sipp("uac_expect_480.xml", HOST, remote=gateway(d), service="alice")
    sipp.assert_ok()
    wait_idle(d)


def check_not_allowed_source_gets_403(d):
    no_sessions(d)
    b = alice(d, "--seconds", "5", "--answer-timeout", "6")
    wait_online(d, 1)
    sipp = Sipp("uac_expect_403.xml", NOT_ALLOWED, remote=gateway(d), service="alice")
    sipp.assert_ok()
    c = b.result()  # None: no call came in before --answer-timeout
    print(f"   {describe(c)}; summary {b.report_json.get('summary')}")
    assert not (c and c.get("incoming")), f"alice rang for a refused INVITE: {c['incoming']}"
    wait_idle(d)


def check_cancel_while_ringing_ends_alice_call(d):
    no_sessions(d)
    b = alice(d, "--seconds", "5", "--answer-delay", "10000")
    wait_online(d, 1)
    # the carrier gives up 1 s after the 180
    sipp = Sipp("uac_cancel.xml", HOST, remote=gateway(d), service="alice", pause_ms=1000)
    sipp.assert_ok()  # 200 for the CANCEL, 487 for the INVITE
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming"), c
    assert c.get("hangup") and c["hangup"].get("by") == "gateway", c
    assert not connected(c), c
    wait_idle(d)


def check_did_reaches_alice(d):
    no_sessions(d)
    b = alice(d, "--seconds", "30", "--expect-hangup", "200")
    wait_online(d, 1)
    sipp = Sipp("uac_call_echo.xml", HOST, remote=gateway(d), service=DID, pause_ms=3000, echo=True)
    sipp.assert_ok()
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming"), c
    assert connected(c), c
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert b.rc == 0, (b.rc, c)
    wait_idle(d)


def check_carrier_requiring_100rel_gets_a_reliable_180(d):
    """sip.100rel (on by default): a carrier's INVITE with Require: 100rel
    is taken; the 180 carries Require: 100rel and RSeq, the carrier's PRACK
    gets 200, and alice's answer (at once) waits for that PRACK, 1 s
    later: the scenario checks the order, and alice is told `connected`
    only then.  Then her tone comes back."""
    no_sessions(d)
    b = alice(d, "--seconds", "30", "--expect-hangup", "200")
    wait_online(d, 1)
    sipp = Sipp("uac_call_100rel.xml", HOST, remote=gateway(d), service="alice", pause_ms=3000, echo=True)
    sipp.assert_ok()
    c = b.result()
    print(f"   {describe(c)}")
    assert c and connected(c), c
    # ringing at `incoming`, the PRACK 1 s after the 180, then the 200
    print(f"   `connected` {state_ms(c, 'connected')} ms after `incoming`")
    assert (state_ms(c, "connected") or 0) >= 700, c.get("states")
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert hangup_code(c) == 200, c.get("hangup")
    assert b.rc == 0, (b.rc, c)
    r = udp_options(HOST, d.sip_port, HOST)
    assert r and "100rel" in (r.header("supported") or ""), r and r.headers
    assert "PRACK" in (r.header("allow") or ""), r.headers
    wait_idle(d)


def check_hangup_before_the_prack_rejects_the_invite(d):
    """A carrier that requires 100rel and never PRACKs the 180: alice's
    answer is held for the PRACK, so when she hangs up meanwhile the
    carrier gets 480 for its INVITE (the scenario checks), not a 200 after
    a BYE on an early dialog, and no call is left behind; alice was never
    told `connected` (the carrier never got the answer)."""
    no_sessions(d)
    b = alice(d, "--seconds", "2")
    wait_online(d, 1)
    sipp = Sipp("uac_100rel_no_prack.xml", HOST, remote=gateway(d), service="alice")
    sipp.assert_ok()
    c = b.result()
    print(f"   {describe(c)}")
    assert c and c.get("incoming"), c
    assert "connected" not in states(c), c.get("states")
    assert "answer held until the PRACK" in d.log_text(), d.log_text()[-3000:]
    wait_idle(d)


def check_delayed_offer_100rel_answered_before_the_prack(d):
    """An INVITE without SDP that requires 100rel: the reliable 180 carries
    the gateway's RTP/AVP offer, the carrier's PRACK 1 s later answers it,
    and the 200 has no SDP (the scenario checks all three).  Alice answers
    at once, so her 200 waits for that PRACK (`connected` >= 0.7 s after
    `incoming`); her tone reaches the port the PRACK named (sipp echoes
    it) and comes back."""
    no_sessions(d)
    b = alice(d, "--seconds", "30", "--expect-hangup", "200")
    wait_online(d, 1)
    sipp = Sipp("uac_delayed_offer_100rel.xml", HOST, remote=gateway(d), service="alice",
                pause_ms=4000, echo=True)
    sipp.assert_ok()
    c = b.result()
    print(f"   {describe(c)}; `connected` {state_ms(c, 'connected')} ms after `incoming`")
    assert c and connected(c), c
    assert (state_ms(c, "connected") or 0) >= 700, c.get("states")
    assert abs(c["frequency_hz"] - 1000) <= 10, c["frequency_hz"]
    assert hangup_code(c) == 200 and b.rc == 0, (b.rc, c.get("hangup"))
    wait_idle(d)


def check_delayed_offer_100rel_answered_after_the_prack(d):
    """The same carrier, two sessions of alice answering 2 s and 6 s after
    `incoming`, both after the PRACK: the offer in the 180 belongs to the
    ringing call, not to the session that happened to ring first, so the
    first to answer gets the PRACK's answer and the offered port, and
    hears her tone back; the other is told the call went elsewhere."""
    no_sessions(d)
    fast = alice(d, "--seconds", "30", "--answer-delay", "2000", "--expect-hangup", "200")
    slow = alice(d, "--seconds", "30", "--answer-delay", "6000")
    wait_online(d, 2)
    sipp = Sipp("uac_delayed_offer_100rel.xml", HOST, remote=gateway(d), service="alice",
                pause_ms=4000, echo=True)
    sipp.assert_ok()
    cf, cs = fast.result(), slow.result()
    print(f"   fast: {describe(cf)}\n   slow: {describe(cs)}")
    assert cf and connected(cf), cf
    assert abs(cf["frequency_hz"] - 1000) <= 10, cf["frequency_hz"]
    assert hangup_code(cf) == 200 and fast.rc == 0, (fast.rc, cf.get("hangup"))
    assert cs and cs.get("incoming") and not connected(cs) and cs.get("hangup"), cs
    wait_idle(d)


def check_delayed_offer_100rel_prack_without_answer_488(d):
    """The carrier's PRACK does not answer the offer in our reliable 180:
    no media can be agreed, so its INVITE gets 488 (the scenario checks)
    and alice is told `hangup` 488, whether she was still ringing or had
    answered already (her 200 held for that PRACK, never sent)."""
    for delay in ("6000", "0"):
        no_sessions(d)
        b = alice(d, "--seconds", "5", "--answer-delay", delay)
        wait_online(d, 1)
        sipp = Sipp("uac_delayed_offer_100rel_no_answer.xml", HOST, remote=gateway(d), service="alice")
        sipp.assert_ok()
        c = b.result()
        print(f"   answering after {delay} ms: {describe(c)}")
        assert c and c.get("incoming") and "connected" not in states(c), c
        assert hangup_code(c) == 488, c.get("hangup")
        wait_idle(d)
    assert "unusable answer in the PRACK" in d.log_text(), d.log_text()[-3000:]


def invite_requiring_100rel(d):
    """The final response to an INVITE that requires 100rel (ACKed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        s.settimeout(5)
        tag = f"{random.getrandbits(32):x}"
        ruri = f"sip:alice@{gateway(d)}"
        call_id, branch = f"rel-{tag}@{HOST}", f"z9hG4bK-rel-{tag}"
        sdp = (f"v=0\r\no=- 1 1 IN IP4 {HOST}\r\ns=-\r\nc=IN IP4 {HOST}\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        s.sendto(sip_request("INVITE", ruri, s.getsockname(), call_id, branch, tag, body=sdp,
                             extra=("Supported: 100rel", "Require: 100rel")), (HOST, d.sip_port))
        r = None
        while not r or r.code < 200:
            r = parse_response(s.recv(65535))
        s.sendto(sip_request("ACK", ruri, s.getsockname(), call_id, branch, tag,
                             to=r.header("to"), ctype=""), (HOST, d.sip_port))
    print(f"   {r.code} {r.reason}; Unsupported: {r.header('unsupported')}")
    return r


def check_100rel_off_refuses_with_420(far):
    """sip.100rel = false: an INVITE that requires 100rel gets 420 Bad
    Extension with Unsupported: 100rel, and OPTIONS no longer names it."""
    with sip_daemon(HOST, far, sip={"100rel": "false"}) as d:
        r = invite_requiring_100rel(d)
        assert r.code == 420, (r.code, r.reason)
        assert "100rel" in (r.header("unsupported") or ""), r.headers
        o = udp_options(HOST, d.sip_port, HOST)
        assert o and "100rel" not in (o.header("supported") or ""), o and o.headers
        assert "PRACK" not in (o.header("allow") or ""), o.headers
        check_clean_stop(d)


def check_trunk_100rel_off_refuses_with_420(far):
    """trunk.100rel = false (sip.100rel on): the same 420 for that trunk's
    INVITE, and alice never rang."""
    with sip_daemon(HOST, far, trunk_over={"100rel": "false"}) as d:
        b = alice(d, "--seconds", "3", "--answer-timeout", "4")
        wait_online(d, 1)
        r = invite_requiring_100rel(d)
        assert r.code == 420, (r.code, r.reason)
        assert "100rel" in (r.header("unsupported") or ""), r.headers
        c = b.result()
        assert not (c and c.get("incoming")), c
        check_clean_stop(d)


def check_silent_carrier_hung_up_408(far):
    """media.rtp_timeout = 2: a carrier whose call alice answered and that
    then sends no RTP at all is hung up: BYE with Reason cause=408 (the
    scenario checks), `hangup 408` to alice."""
    with sip_daemon(HOST, far, groups={"dids": {DID: "alice"}, "media": {"rtp_timeout": "2"}}) as d:
        b = alice(d, "--seconds", "20")
        wait_online(d, 1)
        sipp = Sipp("uac_call_silent.xml", HOST, remote=gateway(d), service="alice")
        sipp.assert_ok()
        c = b.result()
        print(f"   {describe(c)}")
        assert c and connected(c), c
        assert hangup_code(c) == 408, c.get("hangup")
        assert "no RTP" in (c.get("hangup") or {}).get("reason", ""), c.get("hangup")
        wait_idle(d)


PAI_NUMBER = "+15551230000"


def identity_seen(d, from_user, privacy):
    """What alice's `incoming` showed for a carrier's INVITE with From
    user @from_user, P-Asserted-Identity PAI_NUMBER and Privacy @privacy
    (she rejects it: 486 to the carrier)."""
    no_sessions(d)
    b = alice(d, "--reject", "486", "--seconds", "5")
    wait_online(d, 1)
    sipp = Sipp("uac_identity_486.xml", HOST, remote=gateway(d), service="alice",
                sets={"from_user": from_user, "privacy": privacy})
    sipp.assert_ok()
    c = b.result()
    assert c and c.get("incoming"), c
    inc = {k: v for k, v in c["incoming"].items() if k != "sdp"}
    print(f"   From {from_user}, Privacy {privacy}: {inc}")
    assert hangup_code(c) == 486 and b.rc == 0, (b.rc, c.get("hangup"))
    wait_idle(d)
    return inc


def check_asserted_identity_shown(d):
    inc = identity_seen(d, "15557654321", "none")
    assert inc.get("from") == PAI_NUMBER, inc
    assert inc.get("from_name") == "Verified Caller", inc
    assert inc.get("asserted") is True and "withheld" not in inc, inc


def check_withheld_caller_shown_anonymous(d):
    """Privacy: id, with a real number in From too: neither number nor
    the asserted name reaches the browser; an anonymous From with an
    asserted identity and no Privacy header is withheld as well."""
    for from_user, privacy in (("15557654321", "id"), ("anonymous", "none")):
        inc = identity_seen(d, from_user, privacy)
        assert inc.get("from") == "anonymous" and inc.get("withheld") is True, inc
        assert "asserted" not in inc, inc
        text = json.dumps(inc)
        assert "5551230000" not in text and "Verified" not in text, inc
        assert "5557654321" not in text and "From Header" not in text, inc


def check_untrusted_pai_ignored(far):
    """trunk.trust_pai = false: alice sees From, not the asserted identity."""
    with sip_daemon(HOST, far, trunk_over={"trust_pai": "false"}) as d:
        inc = identity_seen(d, "15557654321", "none")
        assert inc.get("from") == "15557654321" and inc.get("from_name") == "From Header", inc
        assert "asserted" not in inc and "withheld" not in inc, inc
        check_clean_stop(d)


def main():
    require_sipp()
    res = SipResults()
    # The trunk's proxy is never called here; inbound INVITEs belong to it
    # because they come from its allowed network (HOST/32).
    far = free_sip_port(HOST)
    with sip_daemon(HOST, far, groups={"dids": {DID: "alice"}}) as d:
        res.run("inbound_alice_answers_rtp_avp_pcmu_and_hears_her_tone",
                check_alice_answers_and_hears_her_tone, d)
        res.run("inbound_first_of_two_sessions_to_answer_takes_the_call",
                check_first_of_two_sessions_answers, d)
        res.run("inbound_user_offline_gets_480", check_nobody_online_gets_480, d)
        res.run("inbound_source_outside_allowed_networks_gets_403", check_not_allowed_source_gets_403, d)
        res.run("inbound_cancel_while_ringing_ends_alice_call", check_cancel_while_ringing_ends_alice_call, d)
        res.run("inbound_did_number_reaches_alice", check_did_reaches_alice, d)
        res.run("inbound_carrier_requiring_100rel_gets_a_reliable_180_and_the_answer_after_prack",
                check_carrier_requiring_100rel_gets_a_reliable_180, d)
        res.run("inbound_hangup_before_the_carriers_prack_rejects_its_invite_480",
                check_hangup_before_the_prack_rejects_the_invite, d)
        res.run("inbound_delayed_offer_100rel_offer_in_the_180_answered_in_the_prack",
                check_delayed_offer_100rel_answered_before_the_prack, d)
        res.run("inbound_delayed_offer_100rel_two_sessions_the_winner_takes_the_offer",
                check_delayed_offer_100rel_answered_after_the_prack, d)
        res.run("inbound_delayed_offer_100rel_prack_without_answer_gets_488",
                check_delayed_offer_100rel_prack_without_answer_488, d)
        res.run("inbound_asserted_identity_shown_as_the_caller", check_asserted_identity_shown, d)
        res.run("inbound_caller_with_privacy_id_shown_anonymous", check_withheld_caller_shown_anonymous, d)
        res.run("inbound_daemon_stops_cleanly", check_clean_stop, d)
    res.run("inbound_silent_carrier_hung_up_408_after_rtp_timeout", check_silent_carrier_hung_up_408, far)
    res.run("inbound_100rel_off_requiring_it_gets_420", check_100rel_off_refuses_with_420, far)
    res.run("inbound_trunk_100rel_off_requiring_it_gets_420", check_trunk_100rel_off_refuses_with_420, far)
    res.run("inbound_trust_pai_off_shows_from", check_untrusted_pai_ignored, far)
    res.exit()


if __name__ == "__main__":
    main()
