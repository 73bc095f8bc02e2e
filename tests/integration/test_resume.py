"""test_resume.py — a browser whose WebSocket drops without a close frame
(network change, sleeping laptop) gets its session back on a new
connection with the welcome's resume token, within signal.resume_timeout:
same session, what the gateway sent meanwhile delivered after the welcome
(here an inbound call's `incoming`), the abandoned connection closed.
A close frame, a wrong token, another user or an expired wait give a new
session instead. On a full gateway (signal.max_sessions) a dropped browser
still resumes.

Runs on 127.0.0.22 with signal.resume_timeout = 3."""
import asyncio
import json
import re
import time

import websockets

from gwtest import tls_context
from siptest import (SipResults, Sipp, check_clean_stop, daemon_log, free_sip_port, require_sipp,
                     sip_daemon, wait_health, wait_idle)

HOST = "127.0.0.22"
RESUME_S = 3


async def connect(d):
    return await websockets.connect(d.ws_url, ssl=tls_context(), subprotocols=["rtcsip.v1"],
                                    open_timeout=10)


async def recv(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def hello(ws, user, resume=None):
    msg = {"type": "hello", "user": user, "tid": "h"}
    if resume:
        msg["resume"] = resume
    await ws.send(json.dumps(msg))
    w = await recv(ws)
    assert w["type"] == "welcome" and w["tid"] == "h", w
    return w


def drop(ws):
    """Lose the connection the way a network does: no close frame."""
    ws.transport.abort()


async def pings(ws):
    await ws.send(json.dumps({"type": "ping", "tid": 9}))
    assert await recv(ws) == {"type": "pong", "tid": 9}


def check_dropped_session_resumes(d):
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        assert re.fullmatch(r"[0-9a-f]{32}", w["resume"]), w
        assert w["resume_timeout"] == RESUME_S and w["resumed"] is False, w
        drop(a)
        wait_health(d, lambda h: h["sessions"] == 1, 5, "the dropped session kept")
        b = await connect(d)
        r = await hello(b, "alice", resume=w["resume"])
        assert r["resumed"] is True and r["session"] == w["session"], (r, w)
        assert re.fullmatch(r"[0-9a-f]{32}", r["resume"]) and r["resume"] != w["resume"], \
            "the resume token must change on each resume"
        await pings(b)
        assert d.health()["sessions"] == 1, d.health()
        await b.close()
    asyncio.run(go())
    wait_health(d, lambda h: h["sessions"] == 0, 5, "no session after the close frame")
    assert "resumed by a new connection" in daemon_log(d)


def check_wrong_token_or_user_gets_new_session(d):
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        drop(a)
        b = await connect(d)
        r = await hello(b, "alice", resume="0" * 32)
        assert r["resumed"] is False and r["session"] != w["session"], r
        c = await connect(d)
        r2 = await hello(c, "mallory", resume=w["resume"])
        assert r2["resumed"] is False and r2["user"] == "mallory", r2
        # the right token still works after those attempts
        e = await connect(d)
        r3 = await hello(e, "alice", resume=w["resume"])
        assert r3["resumed"] is True and r3["session"] == w["session"], r3
        for ws in (b, c, e):
            await ws.close()
    asyncio.run(go())
    wait_health(d, lambda h: h["sessions"] == 0, 5, "all sessions closed")


def check_close_frame_ends_session_at_once(d):
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        await a.close()
        b = await connect(d)
        r = await hello(b, "alice", resume=w["resume"])
        assert r["resumed"] is False and r["session"] != w["session"], r
        await b.close()
    asyncio.run(go())


def check_expired_session_is_gone(d):
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        drop(a)
        await asyncio.sleep(RESUME_S + 1.0)
        assert d.health()["sessions"] == 0, d.health()
        b = await connect(d)
        r = await hello(b, "alice", resume=w["resume"])
        assert r["resumed"] is False, r
        await b.close()
    asyncio.run(go())
    assert f"not resumed within {RESUME_S} s: closing" in daemon_log(d)


def check_resume_takes_over_a_half_open_connection(d):
    """The browser gave up on a connection the gateway still thinks open."""
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        b = await connect(d)
        r = await hello(b, "alice", resume=w["resume"])
        assert r["resumed"] is True and r["session"] == w["session"], r
        # the old connection is closed by the gateway, the new one works
        try:
            await asyncio.wait_for(a.recv(), 5)
            raise AssertionError("the abandoned connection still receives")
        except websockets.ConnectionClosed:
            pass
        await pings(b)
        assert d.health()["sessions"] == 1, d.health()
        await b.close()
    asyncio.run(go())
    wait_health(d, lambda h: h["sessions"] == 0, 5, "no session left")


def check_incoming_call_waits_for_resumed_session(d):
    """An INVITE for alice while her connection is down reaches her once
    she resumes; her reject goes back to the carrier as 486."""
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        drop(a)
        wait_health(d, lambda h: h["sessions"] == 1, 5, "the dropped session kept")
        mark = len(daemon_log(d))
        sipp = Sipp("mid_uac_expect_486.xml", HOST, remote=f"{HOST}:{d.sip_port}", service="alice")
        deadline = time.time() + 10
        while "incoming call" not in daemon_log(d)[mark:] and time.time() < deadline:
            await asyncio.sleep(0.1)
        b = await connect(d)
        r = await hello(b, "alice", resume=w["resume"])
        assert r["resumed"] is True, r
        m = await recv(b, 10)
        assert m["type"] == "incoming" and "+15557654321" in m["from"], m
        await b.send(json.dumps({"type": "reject", "call": m["call"]}))
        sipp.assert_ok()  # 486 Busy Here
        await b.close()
    asyncio.run(go())
    wait_idle(d)


async def log_shows(d, mark, text, timeout, what):
    """Wait until the daemon's log after @mark contains @text."""
    deadline = time.time() + timeout
    while text not in daemon_log(d)[mark:]:
        assert time.time() < deadline, what
        await asyncio.sleep(0.05)


async def refused(ws):
    """The gateway says `limit` and closes the connection."""
    m = await recv(ws)
    assert m["type"] == "error" and m["code"] == "limit", m
    await asyncio.wait_for(ws.wait_closed(), 5)


def check_resume_on_a_full_gateway(d):
    """signal.max_sessions (2 here) counts every session, detached ones too
    (their calls go on): on a full gateway a browser still gets its session
    back, also while its old connection looks open, and nobody else gets in
    through that door."""
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        b = await connect(d)
        await hello(b, "bob")
        # full: one connection per resumable session (2), then refused
        c = await connect(d)
        x = await connect(d)
        await refused(await connect(d))
        await c.send(json.dumps({"type": "hello", "user": "carol", "tid": "h"}))
        m = await recv(c)
        assert m["type"] == "error" and m["code"] == "limit" and m["tid"] == "h", m
        await asyncio.wait_for(c.wait_closed(), 5)
        # alice's browser moved networks; the gateway still sees `a` open
        r = await hello(x, "alice", resume=w["resume"])
        assert r["resumed"] is True and r["session"] == w["session"], (r, w)
        await pings(x)
        await pings(b)
        assert d.health()["sessions"] == 2, d.health()
        # the same for a connection the gateway saw drop
        mark = len(daemon_log(d))
        drop(x)
        await log_shows(d, mark, "connection lost", 5, "the gateway never saw the drop")
        # one hello only: a refused one closes the connection
        bad = await connect(d)
        await bad.send(json.dumps({"type": "hello", "user": "", "tid": "h"}))
        m = await recv(bad)
        assert m["type"] == "error" and m["code"] == "bad_request", m
        await asyncio.wait_for(bad.wait_closed(), 5)
        e = await connect(d)
        r = await hello(e, "alice", resume=r["resume"])
        assert r["resumed"] is True and r["session"] == w["session"], r
        # a place freed meanwhile is taken by whoever came in to resume
        f = await connect(d)
        await b.close()
        wait_health(d, lambda h: h["sessions"] == 2, 5, "bob gone")
        r = await hello(f, "dave")
        assert r["resumed"] is False and r["user"] == "dave", r
        await pings(f)
        # a door place is held briefly: 5 s to say hello, not hello_timeout's 10
        t0 = time.time()
        g = await connect(d)
        m = await recv(g, 10)
        assert m["type"] == "error" and m["message"] == "no hello within 5 s", m
        assert 4 < time.time() - t0 < 8, time.time() - t0
        await asyncio.wait_for(g.wait_closed(), 5)
        for ws in (e, f):
            await ws.close()
    asyncio.run(go())
    log = daemon_log(d)
    assert "admitted only to resume one of the 2 sessions" in log
    assert "nothing to resume for carol: refusing" in log


def check_silent_connection_is_lost_by_ping(d):
    """A browser that vanished without a FIN leaves a connection that looks
    open; its WebSocket stack no longer answers pings, so the gateway
    loses it within 2 x signal.ping_interval (1 s here) and the session
    waits to be resumed.  One that answers stays."""
    async def go():
        a = await connect(d)
        w = await hello(a, "alice")
        await asyncio.sleep(3.5)  # the client's loop runs: pings answered
        await pings(a)
        mark = len(daemon_log(d))
        a.transport.pause_reading()  # no more pongs
        await log_shows(d, mark, "connection lost", 6, "the silent connection was never noticed")
        b = await connect(d)
        r = await hello(b, "alice", resume=w["resume"])
        assert r["resumed"] is True and r["session"] == w["session"], (r, w)
        await pings(b)
        await b.close()
        a.transport.abort()
    asyncio.run(go())
    wait_health(d, lambda h: h["sessions"] == 0, 5, "no session left")


def main():
    require_sipp()
    far = free_sip_port(HOST)
    res = SipResults()
    with sip_daemon(HOST, far, groups={"signal": {"resume_timeout": str(RESUME_S)}}) as d:
        res.run("resume_dropped_connection_gets_same_session", check_dropped_session_resumes, d)
        res.run("resume_wrong_token_or_user_gets_new_session",
                check_wrong_token_or_user_gets_new_session, d)
        res.run("resume_close_frame_ends_session_at_once", check_close_frame_ends_session_at_once, d)
        res.run("resume_expired_session_is_gone", check_expired_session_is_gone, d)
        res.run("resume_takes_over_half_open_connection",
                check_resume_takes_over_a_half_open_connection, d)
        res.run("resume_delivers_incoming_call_queued_while_away",
                check_incoming_call_waits_for_resumed_session, d)
        res.run("resume_daemon_stops_cleanly", check_clean_stop, d)
    with sip_daemon(HOST, far, groups={"signal": {"resume_timeout": str(RESUME_S),
                                                  "max_sessions": "2"}}) as d:
        res.run("resume_works_on_a_full_gateway", check_resume_on_a_full_gateway, d)
    with sip_daemon(HOST, far, groups={"signal": {"resume_timeout": str(RESUME_S),
                                                  "ping_interval": "1"}}) as d:
        res.run("silent_connection_lost_by_ping_and_resumed",
                check_silent_connection_is_lost_by_ping, d)
    res.exit()


if __name__ == "__main__":
    main()
