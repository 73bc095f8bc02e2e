"""test_sip_register.py — trunk registration against sipp as the registrar
(sipp/uas_registrar.xml): the daemon's REGISTER is challenged, answered with
the trunk's digest credentials, granted for 10 s, refreshed before those
10 s run out, and /healthz shows the trunk registered.  A wrong password
leaves the trunk unregistered, as /healthz says.  With two trunks that
register, each call's INVITE carries its own trunk's registered Contact
(nua would pick by From, which names the caller, not the account).

Runs on 127.0.0.12 (and 127.0.0.92 for the second trunk's INVITEs)."""
import re
import time

from siptest import (Browser, SipResults, Sipp, check_clean_stop, describe, free_sip_port,
                     hangup_code, require_sipp, sip_daemon, trunk, trunk_health, wait_health,
                     wait_idle, wait_online)

HOST = "127.0.0.12"
TRUNK = "registrar"
B_SOURCE = "127.0.0.92"  # the second trunk's INVITEs come from here


def registered(h):
    t = trunk_health(h, TRUNK)
    return bool(t) and t.get("registered") is True


def check_registers_with_digest_and_refreshes(far):
    sipp = Sipp("uas_registrar.xml", HOST, port=far, timeout=40)
    # register_expires asks for 60 s; the registrar grants 10 s and the
    # refresh must follow what was granted
    with sip_daemon(HOST, far, name=TRUNK, trunk_over={"register": "true", "register_expires": "60"}) as d:
        t0 = time.time()
        h = wait_health(d, registered, 10, f"trunk {TRUNK} registered")
        print(f"   registered after {time.time() - t0:.1f} s: {trunk_health(h, TRUNK)}")
        # 401 -> REGISTER with credentials -> 200 (10 s) -> refresh within 10 s -> 200
        sipp.assert_ok(timeout=40)
        print(f"   refreshed; sipp done after {time.time() - t0:.1f} s")
        assert registered(d.health()), d.health()
        check_clean_stop(d)


def check_wrong_password_not_registered(far):
    sipp = Sipp("uas_registrar.xml", HOST, port=far, timeout=30)
    with sip_daemon(HOST, far, name=TRUNK,
                    trunk_over={"register": "true", "register_expires": "60", "password": "wrong"}) as d:
        # the registrar answers the wrong digest with 403: sipp counts that as
        # its own failure, the gateway must show the trunk unregistered
        rc = sipp.wait(timeout=30)
        assert rc != 0, "the registrar accepted a wrong password"
        assert "SIP/2.0 403" in sipp.messages(), "the gateway never answered the challenge"
        h = d.health()
        t = trunk_health(h, TRUNK)
        print(f"   trunk health: {t}")
        assert t is not None, h
        assert t.get("registered") is False, t
        assert t.get("reason"), t
        check_clean_stop(d)


def check_each_trunk_calls_with_its_own_contact(far):
    """Trunks `a` (account acct-a, the default route, INVITEs from HOST)
    and `b` (acct-b, numbers starting +44, INVITEs from B_SOURCE) both
    register, each with its own sipp as registrar and proxy.  A call
    routed to either trunk, once with the caller withheld, and the 180 to
    either trunk's INVITE must carry in Contact the user that trunk
    registered: a carrier that checks Contact against its registration
    refuses another account's, and it would leak that account's name."""
    far_b = free_sip_port(HOST, avoid=(far,))
    accounts = {"a": ("acct-a", far), "b": ("acct-b", far_b)}
    sipps = {n: Sipp("uas_register_busy.xml", HOST, port=port, calls=2, timeout=60)
             for n, (_, port) in accounts.items()}
    over = {"register": "true", "register_expires": "3600", "username": "acct-a"}
    groups = {"trunk.b": trunk(HOST, far_b, register="true", register_expires="3600",
                               username="acct-b", allowed_networks=f"{B_SOURCE}/32"),
              "route": {"+44": "b"}}
    with sip_daemon(HOST, far, name="a", trunk_over=over, groups=groups) as d:
        for n in accounts:
            wait_health(d, lambda h, n=n: (trunk_health(h, n) or {}).get("registered") is True,
                        10, f"trunk {n} registered")
        # outbound: a call routed to each trunk
        for n, to, extra in (("a", "15551230000", ()), ("b", "+442079460000", ("--privacy",))):
            b = Browser(d, "--to", to, "--seconds", "5", "--expect-hangup", "486", *extra)
            c = b.result()
            print(f"   via {n}: {describe(c)}")
            assert hangup_code(c) == 486, c and c.get("hangup")
            sipps[n].assert_ok(timeout=30)
            head = sipps[n].invite_head()
            contact = re.search(r"^Contact:.*$", head, re.M | re.I)
            print(f"   via {n}: {contact and contact.group(0)}")
            assert contact and f"sip:{accounts[n][0]}@" in contact.group(0), head
        # inbound: each trunk's INVITE (told apart by source) gets a 180
        # with that trunk's Contact, then alice's 486
        for n, source in (("a", HOST), ("b", B_SOURCE)):
            alice = Browser(d, "--answer", "--user", "alice", "--reject", "486", "--seconds", "5")
            wait_online(d, 1)
            uac = Sipp("uac_identity_486.xml", source, remote=f"{HOST}:{d.sip_port}",
                       service="alice", sets={"from_user": "15557654321", "privacy": "none"})
            uac.assert_ok()
            c = alice.result()
            assert c and c.get("incoming") and hangup_code(c) == 486, c
            ringing = re.search(r"^SIP/2.0 180 .*?(?:\r?\n){2}", uac.messages(), re.M | re.S)
            assert ringing, uac.messages()[-3000:]
            contact = re.search(r"^Contact:.*$", ringing.group(0), re.M | re.I)
            print(f"   from {n}: 180 with {contact and contact.group(0)}")
            assert contact and f"sip:{accounts[n][0]}@" in contact.group(0), ringing.group(0)
            wait_idle(d)
        check_clean_stop(d)


def main():
    require_sipp()
    far = free_sip_port(HOST)
    res = SipResults()
    res.run("register_digest_challenge_answered_and_refreshed_before_expiry",
            check_registers_with_digest_and_refreshes, far)
    res.run("register_wrong_password_shows_trunk_unregistered", check_wrong_password_not_registered, far)
    res.run("register_two_trunks_each_call_carries_its_own_trunks_contact",
            check_each_trunk_calls_with_its_own_contact, far)
    res.exit()


if __name__ == "__main__":
    main()
