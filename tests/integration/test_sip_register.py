"""test_sip_register.py — trunk registration against sipp as the registrar
(sipp/uas_registrar.xml): the daemon's REGISTER is challenged, answered with
the trunk's digest credentials, granted for 10 s, refreshed before those
10 s run out, and /healthz shows the trunk registered.  A wrong password
leaves the trunk unregistered, as /healthz says.

Runs on 127.0.0.12."""
import time

from siptest import (SipResults, Sipp, check_clean_stop, free_sip_port, require_sipp, sip_daemon,
                     trunk_health, wait_health)

HOST = "127.0.0.12"
TRUNK = "registrar"


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


def main():
    require_sipp()
    far = free_sip_port(HOST)
    res = SipResults()
    res.run("register_digest_challenge_answered_and_refreshed_before_expiry",
            check_registers_with_digest_and_refreshes, far)
    res.run("register_wrong_password_shows_trunk_unregistered", check_wrong_password_not_registered, far)
    res.exit()


if __name__ == "__main__":
    main()
