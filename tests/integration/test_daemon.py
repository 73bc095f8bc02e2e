"""test_daemon.py — the real rtcsipd on 127.0.0.2: HTTPS, /healthz, the
WSS JSON API, limits, bad input, the Origin check of /ws and an orderly stop."""
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import time

from gwtest import Daemon, Results, RTCSIPD, request, tls_context, ws_connect


def check_http(d):
    h = d.health()
    assert h["status"] == "ok" and h["calls"] == 0 and h["version"], h
    status, ctype, body = d.get("/")
    assert status == 200 and b"rtcsip" in body, (status, body[:80])
    try:
        d.get("/no-such-file.html")
        raise AssertionError("missing file served")
    except Exception as e:
        assert "404" in str(e), e


def check_hello_ping(d):
    async def go():
        ws = await ws_connect(d)
        assert ws.subprotocol == "rtcsip.v1", ws.subprotocol
        r = await request(ws, {"type": "hello", "user": "alice", "tid": "t1"})
        assert r["type"] == "welcome" and r["user"] == "alice" and r["tid"] == "t1", r
        r = await request(ws, {"type": "ping", "tid": 7})
        assert r == {"type": "pong", "tid": 7}, r
        assert d.health()["sessions"] == 1
        await ws.close()
    asyncio.run(go())


def malformed_messages(n, max_frame):
    rnd = random.Random(4475)
    fixed = ["{", "[]", "null", '{"type":1}', '{"type":"nope"}', '{"tid":{}}',
             '{"type":"hello"}', '{"type":"call","call":"x"}', "\u00e9\u00e9", '{"type":"ping",}']
    for i in range(n):
        k = i % 4
        if k == 0:
            yield fixed[i % len(fixed)]
        elif k == 1:
            yield bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300)))
        elif k == 2:
            yield "x" * (max_frame + 1 + rnd.randint(0, 5000))  # oversized
        else:
            yield '{"type":"' + "".join(rnd.choice("abc{}[]\",:") for _ in range(50))


def check_malformed_flood(d, max_frame=4096):
    async def go():
        ws = await ws_connect(d)
        await request(ws, {"type": "hello", "user": "fuzz"})
        # warm up allocator pools before the baseline
        for m in malformed_messages(100, max_frame):
            await request(ws, m)
        rss0 = d.rss_kib()
        codes = {}
        for m in malformed_messages(1000, max_frame):
            r = await request(ws, m)
            assert r["type"] == "error", (m[:60], r)
            codes[r["code"]] = codes.get(r["code"], 0) + 1
        rss1 = d.rss_kib()
        r = await request(ws, {"type": "ping"})
        assert r["type"] == "pong", r
        await ws.close()
        return rss0, rss1, codes
    rss0, rss1, codes = asyncio.run(go())
    print(f"   1000 malformed frames: RSS {rss0} -> {rss1} KiB; error codes {codes}")
    assert set(codes) <= {"bad_request", "unauthorized"}, codes
    if os.environ.get("GW_ASAN"):
        print("   (ASan build: its quarantine keeps freed memory, RSS bound checked in the regular build)")
    else:
        assert rss1 - rss0 < 4096, f"RSS grew {rss1 - rss0} KiB"
    assert d.health()["status"] == "ok"


def check_hello_timeout(d):
    async def go():
        ws = await ws_connect(d)
        t0 = time.time()
        r = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert r["type"] == "error" and r["code"] == "unauthorized" and "hello" in r["message"], r
        await asyncio.wait_for(ws.wait_closed(), 5)
        return time.time() - t0
    took = asyncio.run(go())
    assert 1.0 <= took < 6, took


def check_max_sessions(d, limit=3):
    async def go():
        socks = [await ws_connect(d) for _ in range(limit)]
        for i, ws in enumerate(socks):
            r = await request(ws, {"type": "hello", "user": f"u{i}"})
            assert r["type"] == "welcome", r
        # full: a connection is let in only to resume a session (one per
        # session); a hello that does not resume gets `limit`
        extra = await ws_connect(d)
        r = await request(extra, {"type": "hello", "user": "u9", "tid": "h"})
        assert r["type"] == "error" and r["code"] == "limit" and r["tid"] == "h", r
        await asyncio.wait_for(extra.wait_closed(), 5)
        deadline = time.time() + 5
        while d.health()["sessions"] != limit and time.time() < deadline:
            await asyncio.sleep(0.05)
        door = [await ws_connect(d) for _ in range(limit)]
        for ws in door:
            assert (await request(ws, {"type": "ping"}))["type"] == "pong"
        late = await ws_connect(d)
        r = json.loads(await asyncio.wait_for(late.recv(), 5))
        assert r["type"] == "error" and r["code"] == "limit", r
        await asyncio.wait_for(late.wait_closed(), 5)
        for ws in door:
            await ws.close()
        # the others are unaffected
        r = await request(socks[0], {"type": "ping"})
        assert r["type"] == "pong"
        for ws in socks:
            await ws.close()
    asyncio.run(go())


def check_pending_per_address(d, limit=3):
    """signal.max_pending_per_ip (3 here): connections from one address
    that have not said hello fill its allowance, and the next one from it
    gets `limit` and is closed; another address is let in; once one of
    them says hello the first address may connect again, and the waiting
    ones were not disturbed."""
    a, b = "127.0.0.4", "127.0.0.5"

    async def go():
        waiting = [await ws_connect(d, local=a) for _ in range(limit)]
        for ws in waiting:
            assert (await request(ws, {"type": "ping"}))["type"] == "pong"
        extra = await ws_connect(d, local=a)
        r = json.loads(await asyncio.wait_for(extra.recv(), 5))
        assert r["type"] == "error" and r["code"] == "limit", r
        assert f"awaiting hello (limit {limit})" in r["message"], r
        await asyncio.wait_for(extra.wait_closed(), 5)
        other = await ws_connect(d, local=b)
        assert (await request(other, {"type": "ping"}))["type"] == "pong"
        r = await request(waiting[0], {"type": "hello", "user": "early"})
        assert r["type"] == "welcome", r
        again = await ws_connect(d, local=a)
        assert (await request(again, {"type": "ping"}))["type"] == "pong"
        for ws in waiting[1:]:
            assert (await request(ws, {"type": "ping"}))["type"] == "pong"
        for ws in waiting + [other, again]:
            await ws.close()
    asyncio.run(go())
    assert "signal.max_pending_per_ip reached" in d.log_text(), d.log_text()[-2000:]


def check_ws_only_on_ws_path(d):
    async def go():
        try:
            await ws_connect(d, "/other")
        except Exception:
            return
        raise AssertionError("WebSocket accepted outside /ws")
    asyncio.run(go())


async def ws_with_origin(d, origin):
    """Open /ws as a browser on page @origin would (None: no Origin header)."""
    import websockets
    return await websockets.connect(d.ws_url, ssl=tls_context(), subprotocols=["rtcsip.v1"],
                                    origin=origin, open_timeout=10)


def upgrade_status(d, origin):
    """101 when /ws accepts a page of @origin and answers hello, else the
    HTTP status of the refusal."""
    import websockets.exceptions as wse

    async def go():
        try:
            ws = await ws_with_origin(d, origin)
        except (getattr(wse, "InvalidStatus", ()), getattr(wse, "InvalidStatusCode", ())) as e:
            r = getattr(e, "response", None)
            return r.status_code if r is not None else e.status_code
        r = await request(ws, {"type": "hello", "user": "page"})
        assert r["type"] == "welcome", r
        await ws.close()
        return 101
    return asyncio.run(go())


def refusals_logged(d, origin):
    return d.log_text().count(f"refused WebSocket from origin '{origin}'")


def check_origin_default_only_own(d):
    own = f"https://{d.host}:{d.port}"
    assert upgrade_status(d, None) == 101  # not a browser: rtcsip-call, curl, scripts
    assert upgrade_status(d, own) == 101
    assert upgrade_status(d, own.upper()) == 101  # scheme and host have no case
    for evil in ("https://evil.example", f"http://{d.host}:{d.port}", f"https://{d.host}:{d.port + 1}",
                 "null"):
        assert upgrade_status(d, evil) == 403, evil
        assert refusals_logged(d, evil) == 1, (evil, d.log_text()[-2000:])
    assert d.health()["sessions"] == 0


def check_origin_list(d):
    assert upgrade_status(d, "https://app.example") == 101
    assert upgrade_status(d, "https://app.example:443") == 101
    assert upgrade_status(d, f"https://{d.host}:{d.port}") == 403  # own origin is not listed
    assert upgrade_status(d, "https://evil.example") == 403
    assert upgrade_status(d, None) == 101


def check_origin_star(d):
    assert upgrade_status(d, "https://evil.example") == 101
    assert upgrade_status(d, "null") == 101
    assert "allowed_origins = *" in d.log_text()  # warned: auth.mode = none


def check_origin_bad_config_refused():
    bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"rtcsip-origin-{os.getpid()}.conf")
    with open(bad, "w") as f:
        f.write("[general]\nstate_dir = %s\n[signal]\nlisten = 127.0.0.2:1\n"
                "allowed_origins = https://app.example/\n" % os.path.dirname(bad))
    try:
        out = subprocess.run([RTCSIPD, "--config", bad], capture_output=True, text=True, timeout=20)
        check = subprocess.run([RTCSIPD, "--check-config", bad], capture_output=True, text=True,
                               timeout=20)
    finally:
        os.unlink(bad)
    assert out.returncode != 0, out
    assert "allowed_origins: 'https://app.example/' is not an origin" in out.stderr, out.stderr
    # --check-config says so too, in its FILE: [group] key: problem form
    assert check.returncode == 2, check
    assert f"{bad}: [signal] allowed_origins: 'https://app.example/' is not an origin" \
        in check.stderr, check.stderr


def check_sigterm_closes_sessions_and_exits_0(d):
    async def go():
        ws = await ws_connect(d)
        await request(ws, {"type": "hello", "user": "bob"})
        t0 = time.time()
        d.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(ws.wait_closed(), 5)
        return ws.close_code, time.time() - t0
    code, took = asyncio.run(go())
    assert code == 1000, code
    rc = d.proc.wait(5)
    assert rc == 0, rc
    assert took < 5, took


def check_cli():
    out = subprocess.run([RTCSIPD, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("rtcsipd "), out
    bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"rtcsip-bad-{os.getpid()}.conf")
    with open(bad, "w") as f:
        f.write("[signal]\nlisten = 127.0.0.1:99999\n[media]\nbogus = 1\n")
    out = subprocess.run([RTCSIPD, "--check-config", bad], capture_output=True, text=True)
    os.unlink(bad)
    assert out.returncode != 0
    assert f"{bad}: [signal] listen:" in out.stderr, out.stderr
    assert f"{bad}: [media] bogus: unknown key" in out.stderr, out.stderr
    out = subprocess.run([RTCSIPD, "--no-such-option"], capture_output=True, text=True)
    assert out.returncode == 2 and "--help" in out.stderr, out


def nofile_limits():
    """256 open files, hard limit 4096 or what this runner allows."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 256, 4096 if hard == resource.RLIM_INFINITY or hard >= 4096 else hard


def check_open_files_limit_raised(d):
    # Debian's default soft limit (1024) would stop the gateway near 170
    # calls (about six fds each): it raises the soft limit to the hard one.
    soft0, hard0 = nofile_limits()
    with open(f"/proc/{d.proc.pid}/limits") as f:
        line = next(l for l in f if l.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert (soft, hard) == (str(hard0), str(hard0)), line
    assert f"open files: {soft0} -> {hard0}" in d.log_text(), d.log_text()[-2000:]


def main():
    res = Results()
    res.run("cli", check_cli)
    with Daemon({"signal": {"max_frame": "4096", "max_sessions": "3", "hello_timeout": "2"}},
                host="127.0.0.2") as d:
        res.run("https_and_healthz", check_http, d)
        res.run("wss_hello_ping", check_hello_ping, d)
        res.run("malformed_flood_keeps_daemon_small", check_malformed_flood, d)
        res.run("hello_timeout_closes_session", check_hello_timeout, d)
        res.run("max_sessions_refuses_with_limit", check_max_sessions, d)
        res.run("websocket_only_at_ws", check_ws_only_on_ws_path, d)
        res.run("origin_default_allows_own_page_and_non_browsers_only",
                check_origin_default_only_own, d)
        res.run("sigterm_closes_sessions_and_exits_0", check_sigterm_closes_sessions_and_exits_0, d)
    with Daemon({"signal": {"max_pending_per_ip": "3"}}, host="127.0.0.2") as d:
        res.run("pending_connections_limited_per_address", check_pending_per_address, d)
    with Daemon({"signal": {"allowed_origins": "https://app.example"}}, host="127.0.0.2") as d:
        res.run("origin_list_replaces_own_origin", check_origin_list, d)
    res.run("origin_bad_config_refused_at_start", check_origin_bad_config_refused)
    with Daemon({"signal": {"allowed_origins": "*"}}, host="127.0.0.2", nofile=nofile_limits()) as d:
        res.run("origin_star_allows_any_page", check_origin_star, d)
        res.run("open_files_limit_raised_to_the_hard_limit", check_open_files_limit_raised, d)
    res.exit()


if __name__ == "__main__":
    main()
