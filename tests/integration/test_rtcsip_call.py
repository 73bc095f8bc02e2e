"""test_rtcsip_call.py — rtcsip-call as the browser of the integration tests.

Two rtcsip-call processes, one calling and one answering (--answer), talk
through a small switchboard that speaks the browser JSON API (DESIGN section
4) and relays between them the way the gateway would: `call` becomes
`incoming`, `accept` becomes `answer` + `state connected`, `reject` and
`hangup` become `hangup`, `dtmf` digits are delivered one by one.  The two
clients then run real ICE, DTLS-SRTP and Opus against each other, so the
answer path is checked end to end without a SIP side.  Against the real
daemon's echo: states, DTMF refused by echo, --hangup-at, the timeline."""
import asyncio
import itertools
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time

from gwtest import BUILDDIR, Daemon, Results, free_port

RTCSIP_CALL = os.path.join(BUILDDIR, "rtcsip-call")
HOST = "127.0.0.5"


class Switchboard:
    """A stand-in for the gateway's browser API that connects browsers to
    each other.  Runs its own asyncio loop in a thread."""

    def __init__(self, connect_delay=0.0, silent=()):
        import websockets
        self.connect_delay = connect_delay   # accept -> `state connected` to the caller
        self.silent = set(silent)            # destinations that never answer
        self.tmp = tempfile.mkdtemp(prefix="rtcsip-sb-")
        cert, key = os.path.join(self.tmp, "c.pem"), os.path.join(self.tmp, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + HOST,
                        "-days", "1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.port = free_port(HOST)
        self.url = f"wss://{HOST}:{self.port}/ws"
        self.sessions = {}      # user -> ws
        self.legs = {}          # (id(ws), call id) -> leg dict (shared by both sides)
        self.log = []           # (monotonic time, user, message) from clients
        self.ids = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(websockets.serve(
                self.handler, HOST, self.port, ssl=ctx, subprotocols=["rtcsip.v1"]))
            ready.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def online(self, user):
        return user in self.sessions

    def received(self, type_):
        return [(t, u, m) for t, u, m in self.log if m.get("type") == type_]

    def send_incoming(self, user, sdp):
        """Offer @user a call with this SDP, as the gateway would."""
        async def go():
            ws = self.sessions[user]
            await ws.send(json.dumps({"type": "incoming", "call": f"in{next(self.ids)}",
                                      "from": "nobody", "to": user, "sdp": sdp}))
        asyncio.run_coroutine_threadsafe(go(), self.loop).result(10)

    @staticmethod
    async def send(ws, **msg):
        await ws.send(json.dumps(msg))

    def other(self, leg, ws):
        return leg["callee"] if leg["caller"][0] is ws else leg["caller"]

    def forget(self, leg):
        for side in ("caller", "callee"):
            self.legs.pop((id(leg[side][0]), leg[side][1]), None)

    async def connected_later(self, leg):
        await asyncio.sleep(self.connect_delay)
        if leg.get("answered"):
            await self.send(leg["caller"][0], type="state", call=leg["caller"][1], state="connected")

    async def handler(self, ws, path=None):
        import websockets
        try:
            await self.serve_session(ws)
        except websockets.ConnectionClosed:
            pass  # a client that went away without a close frame; its report tells

    async def serve_session(self, ws):
        user = None
        async for text in ws:
            msg = json.loads(text)
            self.log.append((time.monotonic(), user, msg))
            t, cid, tid = msg.get("type"), msg.get("call"), msg.get("tid")
            leg = self.legs.get((id(ws), cid))
            if t == "hello":
                user = msg["user"]
                self.sessions[user] = ws
                await self.send(ws, type="welcome", session="s1", user=user, ice_servers=[], tid=tid)
            elif t == "call":
                await self.send(ws, type="state", call=cid, state="trying")
                if msg["to"] in self.silent:
                    continue
                callee = self.sessions.get(msg["to"])
                if callee is None:
                    await self.send(ws, type="hangup", call=cid, code=480, reason="not online")
                    continue
                leg = {"caller": (ws, cid), "callee": (callee, f"in{next(self.ids)}")}
                self.legs[(id(ws), cid)] = self.legs[(id(callee), leg["callee"][1])] = leg
                inc = {"type": "incoming", "call": leg["callee"][1], "from": user,
                       "to": msg["to"], "sdp": msg["sdp"]}
                if "headers" in msg:
                    inc["headers"] = msg["headers"]
                await callee.send(json.dumps(inc))
                await self.send(ws, type="state", call=cid, state="ringing")
            elif t == "accept" and leg:
                leg["answered"] = True
                await self.send(leg["caller"][0], type="answer", call=leg["caller"][1], sdp=msg["sdp"])
                asyncio.ensure_future(self.connected_later(leg))
            elif t == "reject" and leg:
                self.forget(leg)
                await self.send(leg["caller"][0], type="hangup", call=leg["caller"][1],
                                code=msg.get("code", 486), reason="rejected")
            elif t == "hangup":
                await self.send(ws, type="hangup", call=cid, code=200, reason="ended by the browser", tid=tid)
                if leg:
                    self.forget(leg)
                    peer, pid = self.other(leg, ws)
                    code = 200 if leg.get("answered") else 487
                    await self.send(peer, type="hangup", call=pid, code=code,
                                    reason="hung up" if code == 200 else "cancelled")
            elif t == "dtmf" and leg:
                peer, pid = self.other(leg, ws)
                for d in msg.get("digits", ""):
                    await self.send(peer, type="dtmf", call=pid, digit=d)
            elif t in ("hold", "unhold") and leg:
                await self.send(ws, type="state", call=cid, state="held" if t == "hold" else "resumed")
            elif t == "candidate" and leg:
                peer, pid = self.other(leg, ws)
                await self.send(peer, type="candidate", call=pid, candidate=msg.get("candidate"))
            else:
                await self.send(ws, type="error", call=cid, tid=tid, code="not_found",
                                message=f"no call '{cid}' for {t}")


def start_client(url, *args):
    cmd = [RTCSIP_CALL, "--url", url, "--json", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_client(p, timeout=90):
    out, err = p.communicate(timeout=timeout)
    try:
        rep = json.loads(out)
    except ValueError:
        raise AssertionError(f"no JSON report (rc {p.returncode}): {out[-500:]} {err[-2000:]}")
    return p.returncode, rep, err


def start_answerer(sb, user, *args):
    p = start_client(sb.url, "--answer", "--user", user, *args)
    deadline = time.time() + 10
    while not sb.online(user):
        assert p.poll() is None and time.time() < deadline, "answerer did not say hello"
        time.sleep(0.05)
    return p


def pair(sb, answer_args, call_args, callee="bob"):
    b = start_answerer(sb, callee, *answer_args)
    a = start_client(sb.url, "--user", "alice", "--to", callee, *call_args)
    rc_a, rep_a, err_a = finish_client(a)
    rc_b, rep_b, err_b = finish_client(b)
    return (rc_a, rep_a, err_a), (rc_b, rep_b, err_b)


def states(c):
    return [s["state"] for s in c["states"]]


def check_answer_path_exchanges_tones():
    with Switchboard() as sb:
        (rc_a, rep_a, err_a), (rc_b, rep_b, err_b) = pair(
            sb, ["--tone", "440", "--seconds", "30", "--expect-hangup", "200"],
            ["--tone", "1000", "--seconds", "4", "--header", "X-Account: 42"])
    a, b = rep_a["calls"][0], rep_b["calls"][0]
    print(f"   caller hears {a['frequency_hz']:.1f} Hz ({a['received']} pkts), "
          f"callee hears {b['frequency_hz']:.1f} Hz ({b['received']} pkts), pair {b['selected_pair']}")
    assert rc_a == 0, (rc_a, a, err_a[-2000:])
    assert rc_b == 0, (rc_b, b, err_b[-2000:])
    assert states(a) == ["trying", "ringing", "connected"], a["states"]
    assert a["hangup"]["by"] == "client", a["hangup"]
    assert b["direction"] == "inbound" and b["incoming"]["from"] == "alice", b["incoming"]
    assert b["incoming"]["headers"] == {"X-Account": "42"}, b["incoming"]
    assert b["hangup"]["by"] == "gateway" and b["hangup"]["code"] == 200, b["hangup"]
    assert abs(a["frequency_hz"] - 440) <= 10, a["frequency_hz"]
    assert abs(b["frequency_hz"] - 1000) <= 10, b["frequency_hz"]
    assert a["received"] >= 150 and b["received"] >= 150, (a["received"], b["received"])
    assert a["lost"] == 0 and b["lost"] == 0, (a["lost"], b["lost"])
    assert "127.0.0.1" in b["selected_pair"], b["selected_pair"]


def check_reject_ends_callers_call_with_its_code():
    with Switchboard() as sb:
        (rc_a, rep_a, _), (rc_b, rep_b, _) = pair(sb, ["--reject", "486"], ["--expect-hangup", "486"])
        rejects = [m for _, _, m in sb.received("reject")]
    a, b = rep_a["calls"][0], rep_b["calls"][0]
    assert rejects and rejects[0]["code"] == 486, rejects
    assert rc_a == 0 and rc_b == 0, (a, b)
    assert not a["connected"] and a["hangup"]["code"] == 486 and a["hangup"]["by"] == "gateway", a
    assert b["hangup"]["by"] == "client" and b["received"] == 0, b
    # a caller that did not expect the refusal exits 1
    with Switchboard() as sb:
        (rc_a, rep_a, _), _ = pair(sb, ["--reject", "603"], [])
    assert rc_a == 1 and rep_a["calls"][0]["hangup"]["code"] == 603, rep_a


def check_caller_hangs_up_while_ringing():
    with Switchboard() as sb:
        (rc_a, rep_a, _), (rc_b, rep_b, _) = pair(
            sb, ["--answer-delay", "20000", "--expect-hangup", "487"], ["--hangup-at", "1"])
        accepts = sb.received("accept")
    a, b = rep_a["calls"][0], rep_b["calls"][0]
    assert rc_a == 0 and rc_b == 0, (a, b)
    assert not accepts, accepts
    assert not a["connected"] and a["hangup"]["by"] == "client", a
    assert 900 <= a["hangup"]["ms"], a["hangup"]
    assert not b["connected"] and b["hangup"]["by"] == "gateway" and b["hangup"]["code"] == 487, b


def check_early_media_measured_apart():
    with Switchboard(connect_delay=2.0) as sb:
        (rc_a, rep_a, _), (rc_b, rep_b, _) = pair(
            sb, ["--tone", "600", "--seconds", "30", "--expect-hangup", "200"],
            ["--tone", "1000", "--seconds", "2"])
    a = rep_a["calls"][0]
    print(f"   early {a['frequency_early_hz']} Hz, first audio {a['first_audio_ms']:.0f} ms, "
          f"connected {a['connected_ms']:.0f} ms")
    assert rc_a == 0 and rc_b == 0, (a, rep_b)
    assert a["first_audio_ms"] < a["connected_ms"], a
    assert abs(a["frequency_early_hz"] - 600) <= 10, a
    assert abs(a["frequency_hz"] - 600) <= 10, a
    # --seconds counts from connected, not from the first audio
    assert a["hangup"]["ms"] - a["connected_ms"] >= 1900, (a["hangup"], a["connected_ms"])
    assert sum(a["rx_timeline"]) == a["received"], a


def check_dtmf_hold_unhold_sent_after_connected():
    with Switchboard() as sb:
        (rc_a, rep_a, _), (rc_b, rep_b, _) = pair(
            sb, ["--seconds", "30", "--expect-hangup", "200"],
            ["--seconds", "4", "--dtmf", "159#", "--dtmf-at", "0.5", "--hold-at", "1.5",
             "--unhold-at", "2.5"])
        sent = [m["type"] for _, u, m in sb.log if u == "alice" and m["type"] in ("dtmf", "hold", "unhold")]
        dtmf = sb.received("dtmf")
    a, b = rep_a["calls"][0], rep_b["calls"][0]
    assert rc_a == 0 and rc_b == 0, (a, b)
    assert sent == ["dtmf", "hold", "unhold"], sent
    assert dtmf[0][2]["digits"] == "159#", dtmf
    assert b["dtmf_received"] == "159#", b
    assert states(a) == ["trying", "ringing", "connected", "held", "resumed"], a["states"]


def check_answer_mode_takes_n_calls():
    # Callers one after the other; --answer-timeout is shorter than the
    # first call: it only runs while no call is in progress.
    with Switchboard() as sb:
        b = start_answerer(sb, "erin", "--calls", "2", "--answer-timeout", "3", "--seconds", "30",
                           "--expect-hangup", "200")
        reps = [finish_client(start_client(sb.url, "--user", f"caller{i}", "--to", "erin",
                                           "--seconds", str(secs), "--tone", str(tone)))
                for i, secs, tone in ((1, 5, 500), (2, 2, 700))]
        rc, rep, err = finish_client(b)
    assert rc == 0, (rep, err[-2000:])
    assert [c["incoming"]["from"] for c in rep["calls"]] == ["caller1", "caller2"], rep
    heard = [c["frequency_hz"] for c in rep["calls"]]
    assert abs(heard[0] - 500) <= 10 and abs(heard[1] - 700) <= 10, heard
    for rc_a, rep_a, _ in reps:
        assert rc_a == 0 and abs(rep_a["calls"][0]["frequency_hz"] - 1000) <= 10, rep_a


def check_bad_incoming_offer_rejected_488():
    with Switchboard() as sb:
        b = start_answerer(sb, "carol", "--answer-timeout", "5")
        sb.send_incoming("carol", "v=0\r\nthis is not sdp\r\n")
        rc, rep, _ = finish_client(b)
        rejects = [m for _, _, m in sb.received("reject")]
    c = rep["calls"][0]
    assert rc == 1, rep
    assert rejects and rejects[0]["code"] == 488, rejects
    assert c["errors"] and "offer" in c["errors"][0]["message"], c["errors"]


def check_no_incoming_times_out():
    with Switchboard() as sb:
        b = start_answerer(sb, "dave", "--answer-timeout", "1")
        t0 = time.time()
        rc, rep, _ = finish_client(b, timeout=30)
    assert rc == 1 and rep["calls"] == [], rep
    assert rep["summary"]["errors"][0]["code"] == "timeout", rep["summary"]
    assert time.time() - t0 < 20


def check_unanswered_call_gives_up_after_max_wait():
    with Switchboard(silent=["void"]) as sb:
        rc, rep, _ = finish_client(start_client(sb.url, "--to", "void", "--max-wait", "2"), timeout=30)
        # the client sent it before its close frame; the switchboard's
        # thread may not have read it yet when the client has exited
        deadline = time.time() + 5
        while not sb.received("hangup") and time.time() < deadline:
            time.sleep(0.05)
        hangups = [u for _, u, _ in sb.received("hangup")]
    c = rep["calls"][0]
    assert rc == 1 and not c["ok"] and c["code"] == 408, c
    assert states(c) == ["trying"], c["states"]
    assert hangups, "no hangup sent to the gateway"


def check_echo_reports_states_and_refused_dtmf(d):
    rc, rep, err = finish_client(start_client(d.ws_url, "--seconds", "3", "--dtmf", "12",
                                              "--dtmf-at", "0.5"))
    c = rep["calls"][0]
    assert rc == 0, (rc, c, err[-2000:])
    assert states(c) == ["connected"] and c["connected_ms"] > 0, c
    assert c["hangup"]["by"] == "client" and c["hangup"]["code"] == 200, c["hangup"]
    # echo has no DTMF: a refusal is recorded (or the digits are ignored)
    # and the call goes on
    assert all(e["request"] == "dtmf" for e in c["errors"]), c["errors"]
    assert abs(c["frequency_hz"] - 1000) <= 10, c
    assert sum(c["rx_timeline"]) == c["received"] and len(c["rx_timeline"]) >= 6, c["rx_timeline"]


def check_echo_hangup_at_before_connected(d):
    rc, rep, _ = finish_client(start_client(d.ws_url, "--hangup-at", "0", "--calls", "2"))
    assert rc == 0, rep
    for c in rep["calls"]:
        assert c["ok"] and c["hangup"]["by"] == "client" and c["received"] == 0, c
    time.sleep(0.5)
    assert d.health()["calls"] == 0


def main():
    res = Results()
    res.run("answer_path_two_clients_exchange_tones", check_answer_path_exchanges_tones)
    res.run("reject_ends_callers_call_with_its_code", check_reject_ends_callers_call_with_its_code)
    res.run("caller_hangs_up_while_ringing", check_caller_hangs_up_while_ringing)
    res.run("early_media_measured_apart", check_early_media_measured_apart)
    res.run("dtmf_hold_unhold_sent_after_connected", check_dtmf_hold_unhold_sent_after_connected)
    res.run("answer_mode_takes_n_calls", check_answer_mode_takes_n_calls)
    res.run("bad_incoming_offer_rejected_488", check_bad_incoming_offer_rejected_488)
    res.run("no_incoming_times_out", check_no_incoming_times_out)
    res.run("unanswered_call_gives_up_after_max_wait", check_unanswered_call_gives_up_after_max_wait)
    with Daemon(host="127.0.0.6") as d:
        res.run("echo_reports_states_and_refused_dtmf", check_echo_reports_states_and_refused_dtmf, d)
        res.run("echo_hangup_at_before_connected", check_echo_hangup_at_before_connected, d)
    res.exit()


if __name__ == "__main__":
    main()
