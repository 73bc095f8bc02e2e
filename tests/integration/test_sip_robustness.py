"""test_sip_robustness.py — what arrives at the SIP port cannot hurt the
gateway: every RFC 4475 / RFC 5118 torture message (read at run time from
../shared/fixtures/sip_torture) sent raw over UDP and over TCP, then 2,000
INVITEs with garbage SDP bodies (distinct Call-IDs, from the trunk's own
network) to a user who is offline and 50 more while she is online.  Each
INVITE gets a 4xx (and is ACKed), alice never rings for garbage, and
afterwards the daemon is alive, answers OPTIONS over UDP and TCP, shows no
call left and has not grown its memory by more than a few MB.

Runs on 127.0.0.15."""
import os
import random
import socket
import time

from siptest import (Browser, SipResults, check_clean_stop, free_sip_port, parse_response,
                     sip_daemon, sip_request, tcp_options, udp_options, wait_idle, wait_online)

HOST = "127.0.0.15"
FIXTURES = os.path.join(os.environ.get("GW_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                        "..", "shared", "fixtures")
TORTURE = os.path.join(FIXTURES, "sip_torture")
RSS_BOUND_KIB = 4096


def torture_files():
    """(path, what) of each sip_torture message listed in MANIFEST.tsv."""
    out = []
    with open(os.path.join(FIXTURES, "MANIFEST.tsv"), encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) > 1 and cols[0].startswith("sip_torture/"):
                path = os.path.join(FIXTURES, cols[0])
                if os.path.isfile(path):
                    out.append((path, cols[1]))
    return out


def assert_alive(d):
    assert d.proc.poll() is None, f"rtcsipd exited with {d.proc.returncode}"
    h = d.health()
    assert h["status"] == "ok", h
    r = udp_options(HOST, d.sip_port, HOST)
    assert r is not None and r.code == 200, f"OPTIONS over UDP: {r and r.code}"
    r = tcp_options(HOST, d.sip_port, HOST)
    assert r is not None and r.code == 200, f"OPTIONS over TCP: {r and r.code}"


def check_torture_messages(d, files):
    answered = {"udp": 0, "tcp": 0}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind((HOST, 0))
        u.settimeout(0.1)
        for path, what in files:
            with open(path, "rb") as f:
                msg = f.read()
            u.sendto(msg, (HOST, d.sip_port))
            try:
                while True:
                    u.recv(65535)
                    answered["udp"] += 1
            except socket.timeout:
                pass
            assert d.proc.poll() is None, f"rtcsipd died on {what} over UDP ({path})"
    for path, what in files:
        with open(path, "rb") as f:
            msg = f.read()
        with socket.create_connection((HOST, d.sip_port), timeout=5, source_address=(HOST, 0)) as t:
            t.settimeout(0.2)
            try:
                t.sendall(msg)
                while t.recv(65535):
                    answered["tcp"] += 1
            except (socket.timeout, ConnectionError):
                pass
        assert d.proc.poll() is None, f"rtcsipd died on {what} over TCP ({path})"
    print(f"   {len(files)} messages x UDP + TCP; responses read: {answered}")
    wait_idle(d)
    assert_alive(d)


def garbage_bodies(rnd):
    """SDP bodies no gateway can answer (and none a browser should ring for)."""
    fixed = [
        "v=0\r\n",
        "garbage",
        "v=0\r\no=- 1 1 IN IP4 127.0.0.15\r\ns=-\r\nt=0 0\r\n",  # no m-line, no c-line
        "v=0\r\no=- 1 1 IN IP4 127.0.0.15\r\ns=-\r\nc=IN IP4 127.0.0.15\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 127.0.0.15\r\ns=-\r\nc=IN IP4 127.0.0.15\r\nt=0 0\r\nm=audio 4000 RTP/AVP\r\n",
        "v=0\r\no=- 1 1 IN IP4 127.0.0.15\r\ns=-\r\nc=IN IP4 127.0.0.15\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n",
        "v=0\r\no=- 1 1 IN IP4 127.0.0.15\r\ns=-\r\nc=IN IP4 127.0.0.15\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n",
        "v=0\r\no=- 1 1 IN IP4 127.0.0.15\r\ns=-\r\nc=IN IP4 127.0.0.15\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n",
        "v=0\r\nc=IN IP4 999.1.1.1\r\nm=audio 65536 RTP/AVP 0\r\n",
        "v=0\r\n" + "a=" + "x" * 3000 + "\r\n",
        "m=audio 4000 RTP/AVP 0\r\n" * 40,
    ]
    i = 0
    while True:
        k = i % 4
        if k < 2:
            yield fixed[i % len(fixed)].encode()
        elif k == 2:
            yield bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 600)))
        else:
            yield ("v=0\r\n" + "".join(rnd.choice("=mcaot \r\n0123456789./:RTPAVP") for _ in range(300))).encode()
        i += 1


def flood(d, user, count, seed, window=20, rate=150.0):
    """Send @count INVITEs to @user with garbage bodies, at most @window
    without a final answer and @rate per second, retransmitting like RFC
    3261 timer A (0.5 s, doubling, 4 tries).  ACK every final answer.
    Returns {status code: count} (None for never answered)."""
    rnd = random.Random(seed)
    bodies = garbage_bodies(rnd)
    ruri = f"sip:{user}@{HOST}:{d.sip_port}"
    dest = (HOST, d.sip_port)
    codes = {}
    pending = {}  # call-id -> [message, from_tag, branch, next_send, interval, tries]
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        local = s.getsockname()
        t_start = time.time()
        while sent < count or pending:
            now = time.time()
            while sent < count and len(pending) < window and sent < (now - t_start) * rate + 1:
                n = sent
                call_id = f"flood-{seed}-{n}-{rnd.getrandbits(32):x}@{HOST}"
                tag, branch = f"t{seed}x{n}", f"z9hG4bK-fl{seed}x{n}x{rnd.getrandbits(24):x}"
                msg = sip_request("INVITE", ruri, local, call_id, branch, tag, body=next(bodies))
                s.sendto(msg, dest)
                pending[call_id] = [msg, tag, branch, now + 0.5, 0.5, 1]
                sent += 1
            for cid, p in list(pending.items()):
                if p[3] <= now:
                    if p[5] >= 4:
                        codes[None] = codes.get(None, 0) + 1
                        del pending[cid]
                        continue
                    s.sendto(p[0], dest)
                    p[4] *= 2
                    p[3] = now + p[4]
                    p[5] += 1
            s.settimeout(0.01)
            try:
                while True:
                    r = parse_response(s.recv(65535))
                    cid = r and r.header("call-id")
                    if not r or r.code < 200 or cid not in pending:
                        continue
                    p = pending.pop(cid)
                    codes[r.code] = codes.get(r.code, 0) + 1
                    if r.code >= 300:  # RFC 3261 17.1.1.3: ACK on the INVITE's branch
                        s.sendto(sip_request("ACK", ruri, local, cid, p[2], p[1], to=r.header("to")), dest)
            except (socket.timeout, BlockingIOError):
                pass
    return codes


def assert_all_4xx(codes, count):
    four = sum(n for c, n in codes.items() if c is not None and 400 <= c < 500)
    assert four == count, f"{count - four} of {count} INVITEs got no 4xx: {codes}"


def check_garbage_invite_flood(d):
    # Warm-up at the same rate, long enough (> timer I) for the number of
    # live transactions to reach its steady state: the baseline then holds
    # the allocator's peak, and growth after the flood means a leak.
    codes = flood(d, "alice", 1000, seed=1)
    assert_all_4xx(codes, 1000)
    wait_idle(d)
    time.sleep(6)  # RFC 3261 timer I (T4 = 5 s): the server transactions are gone
    rss0 = d.rss_kib()
    t0 = time.time()
    codes = flood(d, "alice", 2000, seed=2)
    print(f"   2000 garbage INVITEs to alice (offline) in {time.time() - t0:.1f} s: answers {codes}")
    assert_all_4xx(codes, 2000)

    b = Browser(d, "--answer", "--user", "alice", "--seconds", "3", "--answer-timeout", "20")
    wait_online(d, 1)
    codes = flood(d, "alice", 50, seed=3)
    print(f"   50 garbage INVITEs to alice (online): answers {codes}")
    assert_all_4xx(codes, 50)
    b.stop()  # she never got a call to answer
    assert b.proc.returncode is not None

    h = wait_idle(d)
    time.sleep(6)
    rss1 = d.rss_kib()
    print(f"   RSS {rss0} -> {rss1} KiB; health {h}")
    if os.environ.get("GW_ASAN"):
        print("   (ASan build: its quarantine keeps freed memory, RSS bound checked in the regular build)")
    else:
        assert rss1 - rss0 < RSS_BOUND_KIB, f"RSS grew {rss1 - rss0} KiB"
    assert_alive(d)


def check_online_alice_never_rings_for_garbage(d):
    b = Browser(d, "--answer", "--user", "alice", "--seconds", "3", "--answer-timeout", "8")
    wait_online(d, 1)
    codes = flood(d, "alice", 20, seed=4)
    assert_all_4xx(codes, 20)
    c = b.result()  # None: no call came in before --answer-timeout
    assert not (c and c.get("incoming")), f"alice rang for a garbage offer: {c['incoming']}"
    wait_idle(d)


def main():
    res = SipResults()
    files = torture_files() if os.path.isfile(os.path.join(FIXTURES, "MANIFEST.tsv")) else []
    with sip_daemon(HOST, free_sip_port(HOST)) as d:
        if files:
            res.run("torture_messages_over_udp_and_tcp_leave_daemon_answering", check_torture_messages, d, files)
        else:
            print(f"SKIP torture messages: {os.path.abspath(TORTURE)} or its MANIFEST.tsv is absent "
                  "(the shared fixtures are not on this machine)", flush=True)
        res.run("garbage_invite_flood_each_gets_4xx_no_call_left_memory_bounded", check_garbage_invite_flood, d)
        res.run("online_user_never_rings_for_garbage_offers", check_online_alice_never_rings_for_garbage, d)
        res.run("robustness_daemon_stops_cleanly", check_clean_stop, d)
    res.exit()


if __name__ == "__main__":
    main()
