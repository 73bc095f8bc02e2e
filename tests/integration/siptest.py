"""siptest.py — shared helpers for the SIP-side integration tests.

The real rtcsipd with a SIP trunk pointing at a real far end (sipp running a
scenario from sipp/, or baresip), the rtcsip-call browser in the background,
raw SIP over UDP/TCP for robustness tests, RTP parsing, and audio measured
with a Goertzel filter (stdlib only).  Every process a test starts is
registered so a failing test prints its logs (sipp's messages and errors,
the browser's stderr, the daemon's log since the test started) and a test
never leaves a process behind for the next one."""
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
import wave
from contextlib import contextmanager

from gwtest import BUILDDIR, Daemon, Results

SIPP = shutil.which("sipp") or "/usr/bin/sipp"
BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
RTCSIP_CALL = os.path.join(BUILDDIR, "rtcsip-call")
SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")

# The trunk's digest credentials; sipp/uas_auth.xml and sipp/uas_registrar.xml
# check for exactly these.
TRUNK_USER = "rtcsip-trunk"
TRUNK_PASSWORD = "s3cret-Pa55"

# Processes and logs of the test running now (see SipResults).
_running = []


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(77)


def require_sipp():
    if not os.access(SIPP, os.X_OK):
        skip(f"sipp not found ({SIPP}); install Debian's sip-tester")


def require_baresip():
    if not os.access(BARESIP, os.X_OK):
        skip(f"baresip not found ({BARESIP}); install Debian's baresip-core")


# ---- ports and the daemon ----

def free_sip_port(host, avoid=()):
    """A port free for UDP and TCP on @host, below the ephemeral range so
    neither the daemon's own ports nor sipp's media ports (6000+) take it;
    not one of @avoid (ports picked already but not bound yet)."""
    rnd = random.Random()
    for _ in range(500):
        port = rnd.randrange(15000, 25000, 2)
        if port in avoid:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                u.bind((host, port))
                t.bind((host, port))
                return port
        except OSError:
            continue
    raise RuntimeError(f"no free SIP port on {host}")


def free_even_pair(host):
    """An even port P with P and P+1 free for UDP on @host (an RTP/RTCP pair)."""
    rnd = random.Random()
    for _ in range(500):
        port = rnd.randrange(30000, 60000, 2)
        socks = []
        try:
            for p in (port, port + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((host, p))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no free RTP port pair on {host}")


def wait_udp_bound(host, port, timeout=10):
    """Wait until someone (sipp, baresip) has bound @host:@port for UDP."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s")


def trunk(host, far_port, **over):
    """A [trunk.NAME] group for a far end at @host:@far_port (UDP), with the
    test credentials, no registration and no keepalive (a sipp scenario must
    not see an OPTIONS it does not expect)."""
    t = {
        "proxy": f"sip:{host}:{far_port}",
        "transport": "udp",
        "username": TRUNK_USER,
        "password": TRUNK_PASSWORD,
        "register": "false",
        "options_interval": "0",
        "codecs": "PCMU PCMA",
        "dtmf": "rfc4733",
        "allowed_networks": f"{host}/32",
    }
    t.update({k: str(v) for k, v in over.items()})
    return t


def sip_daemon(host, far_port, name="carrier", trunk_over=None, sip=None, groups=None):
    """The real rtcsipd on @host with SIP trace on, one trunk @name toward
    @far_port as the default route, and extra config @groups."""
    g = {
        "sip": {"trace": "true", **(sip or {})},
        f"trunk.{name}": trunk(host, far_port, **(trunk_over or {})),
        "route": {"default": name},
    }
    for k, v in (groups or {}).items():
        g.setdefault(k, {}).update(v)
    d = Daemon(extra=g, host=host)
    _running.append(d)
    return d


@contextmanager
def stopped(d):
    """The daemon stopped (SIGSTOP) for the block, as a descheduled or
    overloaded core stalls it; continued (SIGCONT) however the block ends."""
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)


def daemon_log(d):
    """The daemon's log so far; SIP trace lines may carry any byte a peer
    sent, so undecodable bytes are replaced (gwtest's log_text is strict)."""
    d.log.flush()
    with open(d.log.name, encoding="utf-8", errors="replace") as f:
        return f.read()


def wait_log(d, mark, pattern, timeout=20):
    """Wait until the daemon's log after offset @mark matches @pattern."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, daemon_log(d)[mark:])
        if m:
            return m
        time.sleep(0.1)
    raise AssertionError(f"the daemon never logged /{pattern}/ in {timeout} s")


def wait_health(d, pred, timeout=15, what="condition"):
    """Poll /healthz until pred(health) is true; return that health."""
    deadline = time.time() + timeout
    h = None
    while time.time() < deadline:
        h = d.health()
        if pred(h):
            return h
        time.sleep(0.2)
    raise AssertionError(f"/healthz never showed {what} in {timeout} s: {h}")


def wait_idle(d, timeout=40):
    """No call left in the daemon (and no SIP dialog when it reports them)."""
    def idle(h):
        sip = h.get("sip") if isinstance(h.get("sip"), dict) else {}
        return h.get("calls") == 0 and sip.get("dialogs", 0) == 0
    return wait_health(d, idle, timeout, "calls 0 and no SIP dialog")


def check_clean_stop(d):
    """SIGTERM stops the daemon in order: exit 0 and, in the ASan build, no
    sanitizer report (a leak on any SIP path shows up here)."""
    rc, _ = d.stop()
    log = daemon_log(d)
    at = log.find("Sanitizer")
    assert at < 0, f"sanitizer report:\n{log[max(at - 200, 0):at + 6000]}"
    assert rc == 0, f"rtcsipd exited {rc} on SIGTERM"


def trunk_health(h, name):
    """The /healthz entry of trunk @name ({"state", "registered", "reason"})."""
    sip = h.get("sip") or {}
    trunks = sip.get("trunks") or h.get("trunks") or {}
    return trunks.get(name)


def wait_online(d, sessions, settle=0.5):
    """Wait until @sessions browser sessions are connected (hello follows
    the connection at once; @settle covers it)."""
    wait_health(d, lambda h: h.get("sessions", 0) >= sessions, 20, f"{sessions} sessions")
    time.sleep(settle)


# ---- sipp ----

def scenario_variant(name, pauses):
    """A temporary copy of sipp scenario @name whose <pause milliseconds>
    elements take the values of @pauses in order (None keeps one), for a
    longer ring or hold than the shipped scenario's; its path (unlink it)."""
    with open(os.path.join(SCENARIOS, name), encoding="iso-8859-1") as f:
        parts = re.split(r'<pause milliseconds="(\d+)"/>', f.read())
    olds = parts[1::2]
    assert len(olds) == len(pauses), f"{name}: {len(olds)} pauses, not {len(pauses)}"
    text = parts[0]
    for i, old in enumerate(olds):
        text += f'<pause milliseconds="{pauses[i] if pauses[i] is not None else old}"/>' + parts[2 * i + 2]
    fd, path = tempfile.mkstemp(prefix=name.replace(".xml", "-"), suffix=".xml")
    with os.fdopen(fd, "w", encoding="iso-8859-1") as f:
        f.write(text)
    return path

class Sipp:
    """One sipp process running sipp/@scenario.  UAS: listens on
    @host:@port.  UAC: calls @remote ("host:port").  Its message trace,
    errors and screen go to a temporary folder; report() prints them."""

    def __init__(self, scenario, host, port=None, remote=None, calls=1, echo=False,
                 service=None, pause_ms=None, sets=None, args=(), timeout=60):
        self.name = scenario
        self.tmp = tempfile.mkdtemp(prefix="sipp-")
        self.files = {k: os.path.join(self.tmp, f"{k}.log") for k in ("messages", "errors", "logs", "screen")}
        self.out_path = os.path.join(self.tmp, "stdout.log")
        cmd = [SIPP]
        if remote:
            cmd.append(remote)
        cmd += ["-sf", os.path.join(SCENARIOS, scenario), "-i", host, "-mi", host, "-bind_local",
                "-m", str(calls), "-nostdin", "-timeout", f"{timeout}s", "-timeout_error",
                "-trace_msg", "-message_file", self.files["messages"],
                "-trace_err", "-error_file", self.files["errors"],
                "-trace_logs", "-log_file", self.files["logs"],
                "-trace_screen", "-screen_file", self.files["screen"]]
        # a UAC gets its own port too: sipp would take 5060 when free
        cmd += ["-p", str(port or free_sip_port(host))]
        if echo:
            cmd.append("-rtp_echo")
        if service:
            cmd += ["-s", service]
        if pause_ms is not None:
            cmd += ["-d", str(pause_ms)]
        for k, v in (sets or {}).items():
            cmd += ["-set", k, str(v)]
        cmd += list(args)
        self.cmd = cmd
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.tmp)
        self.rc = None
        _running.append(self)
        if port and not remote:
            wait_udp_bound(host, port)

    def wait(self, timeout=90):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"sipp {self.name} still running after {timeout} s")
        return self.rc

    def assert_ok(self, timeout=90):
        rc = self.wait(timeout)
        # 0: every call passed; 1: a call failed (unexpected message, check_it,
        # timeout); 255/254: fatal (bad scenario, port in use).
        assert rc == 0, f"sipp {self.name} exit {rc}: {self.failure()}"

    def failure(self):
        text = self._read("errors").strip()
        return text[-1500:] if text else "(no sipp error log)"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # sipp writes its logs and quits
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()

    def messages(self):
        return self._read("messages")

    def invite_head(self):
        """The start line and headers of the first INVITE in the trace."""
        m = re.search(r"^INVITE sip:.*?(?:\r?\n){2}", self.messages(), re.M | re.S)
        assert m, f"no INVITE in sipp {self.name}'s messages: {self.messages()[:2000]}"
        return m.group(0)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _read(self, key):
        try:
            with open(self.files[key], errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def report(self):
        out = ""
        try:
            with open(self.out_path, errors="replace") as f:
                out = f.read()
        except OSError:
            pass
        return (f"---- sipp {self.name} (exit {self.rc}) ----\n{' '.join(self.cmd)}\n"
                f"-- errors --\n{self._read('errors')[-4000:]}\n"
                f"-- messages --\n{self.messages()[-8000:]}\n"
                f"-- log --\n{self._read('logs')[-2000:]}\n-- output --\n{out[-1500:]}\n")


# ---- the browser (rtcsip-call) ----

class Browser:
    """rtcsip-call against @d in the background; result() waits for its
    JSON report and returns the first call's object, or None when there was
    no call (--answer and nothing came in: then the summary says why)."""

    def __init__(self, d, *args, timeout=120):
        self.tmp = tempfile.mkdtemp(prefix="rtcsip-call-")
        self.cmd = [RTCSIP_CALL, "--url", d.ws_url, "--json", *[str(a) for a in args]]
        self.out = open(os.path.join(self.tmp, "stdout"), "w+")
        self.err = open(os.path.join(self.tmp, "stderr"), "w+")
        self.timeout = timeout
        self.proc = subprocess.Popen(self.cmd, stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL)
        self.rc = None
        self.report_json = None
        _running.append(self)

    def result(self, timeout=None):
        try:
            self.rc = self.proc.wait(timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"rtcsip-call still running after {timeout or self.timeout} s")
        self.out.seek(0)
        text = self.out.read()
        try:
            self.report_json = json.loads(text)
        except ValueError:
            raise AssertionError(f"rtcsip-call gave no JSON report (exit {self.rc}): {text[-500:]}")
        calls = self.report_json.get("calls") or []
        return calls[0] if calls else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def cleanup(self):
        self.out.close()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def report(self):
        return (f"---- rtcsip-call (exit {self.rc}) ----\n{' '.join(self.cmd)}\n"
                f"-- report --\n{json.dumps(self.report_json, indent=1)[-4000:] if self.report_json else ''}\n"
                f"-- stderr --\n{self.stderr()[-3000:]}\n")


def states(c):
    """The `state` names the browser saw, in order."""
    return [s.get("state") for s in (c or {}).get("states") or []]


def connected(c):
    """The call was answered (outbound: `state connected`; inbound: accepted)."""
    return bool(c and c.get("connected"))


def state_ms(c, name):
    for s in c.get("states") or []:
        if s.get("state") == name:
            return s.get("ms")
    return None


def hangup_code(c):
    h = c.get("hangup")
    return h.get("code") if isinstance(h, dict) else None


def describe(c):
    """One line on a browser call for the test output."""
    if not c:
        return "no call"
    return (f"states {states(c)}, hangup {c.get('hangup')}, incoming {c.get('incoming')}, "
            f"{c.get('frequency_hz', 0):.1f} Hz, early {c.get('frequency_early_hz') or 0:.1f} Hz, "
            f"received {c.get('received')}, lost {c.get('lost')}, errors {c.get('errors')}")


# ---- a generic external process (baresip) ----

class Proc:
    def __init__(self, name, cmd, env=None, cwd=None):
        self.name = name
        self.cmd = cmd
        self.log = tempfile.NamedTemporaryFile("w+", prefix=f"{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        _running.append(self)

    def cleanup(self):
        self.log.close()
        os.unlink(self.log.name)

    def text(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def report(self):
        return f"---- {self.name} (exit {self.proc.poll()}) ----\n{' '.join(self.cmd)}\n{self.text()[-5000:]}\n"


# ---- the runner ----

class SipResults(Results):
    """Results that, when a check fails, prints what every process of that
    check logged, and stops whatever the check left running.  The logs of a
    check that passed are removed."""

    def run(self, name, fn, *args):
        del _running[:]
        daemons = [a for a in args if isinstance(a, Daemon)]
        marks = {id(d): len(daemon_log(d)) for d in daemons}
        t0 = time.time()
        ok = False
        try:
            fn(*args)
            ok = True
            self.passed += 1
            print(f"PASS {name} ({time.time() - t0:.1f}s)", flush=True)
        except Exception as e:  # report and continue with the next check
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            traceback.print_exc()
            for p in _running:
                if not isinstance(p, Daemon):
                    p.stop()
                    sys.stdout.write(p.report())
            for d in daemons + [p for p in _running if isinstance(p, Daemon)]:
                log = daemon_log(d)[marks.get(id(d), 0):]
                sys.stdout.write(f"---- rtcsipd log ({name}) ----\n{log[-12000:]}\n")
            sys.stdout.flush()
        finally:
            for p in _running:
                if not isinstance(p, Daemon):
                    p.stop()
                    if ok:
                        p.cleanup()
            del _running[:]


# ---- raw SIP ----

def sip_request(method, ruri, local, call_id, branch, from_tag, to="", cseq=1, body=b"",
                ctype="application/sdp", transport="UDP", extra=()):
    """A SIP request as bytes; @local is (ip, port) of the sender."""
    if isinstance(body, str):
        body = body.encode()
    to = to or f"<{ruri}>"
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: SIP/2.0/{transport} {local[0]}:{local[1]};branch={branch};rport",
             "Max-Forwards: 70",
             f"From: <sip:robot@{local[0]}:{local[1]}>;tag={from_tag}",
             f"To: {to}",
             f"Call-ID: {call_id}",
             f"CSeq: {cseq} {method}",
             f"Contact: <sip:robot@{local[0]}:{local[1]};transport={transport.lower()}>",
             "User-Agent: rtcsip-robustness-test", *extra]
    if body:
        lines.append(f"Content-Type: {ctype}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class SipResponse:
    def __init__(self, code, reason, headers, body):
        self.code, self.reason, self.headers, self.body = code, reason, headers, body

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None


_COMPACT = {"i": "call-id", "v": "via", "f": "from", "t": "to", "l": "content-length",
            "c": "content-type", "m": "contact"}


def parse_response(data):
    """A SIP response from bytes, or None for anything else."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or parts[0] != "SIP/2.0" or not parts[1].isdigit():
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        headers.setdefault(_COMPACT.get(name, name), []).append(value.strip())
    return SipResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, body)


def udp_options(host, port, local_host, timeout=5):
    """Send OPTIONS over UDP (retransmitting as RFC 3261 timer E does); the
    final response or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((local_host, 0))
        tag = f"{random.getrandbits(32):x}"
        msg = sip_request("OPTIONS", f"sip:{host}:{port}", s.getsockname(), f"opt-{tag}@{local_host}",
                          f"z9hG4bK-opt-{tag}", tag, ctype="")
        deadline = time.time() + timeout
        interval = 0.5
        while time.time() < deadline:
            s.sendto(msg, (host, port))
            s.settimeout(interval)
            try:
                while True:
                    r = parse_response(s.recv(65535))
                    if r and r.code >= 200:
                        return r
            except socket.timeout:
                interval = min(interval * 2, 4)
    return None


def tcp_options(host, port, local_host, timeout=5):
    """Send OPTIONS over TCP; the final response or None."""
    with socket.create_connection((host, port), timeout=timeout, source_address=(local_host, 0)) as s:
        tag = f"{random.getrandbits(32):x}"
        s.sendall(sip_request("OPTIONS", f"sip:{host}:{port};transport=tcp", s.getsockname(),
                              f"opt-{tag}@{local_host}", f"z9hG4bK-opt-{tag}", tag, ctype="",
                              transport="TCP"))
        buf = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, _, rest = buf.partition(b"\r\n\r\n")
                r = parse_response(head + b"\r\n\r\n")
                n = int((r.header("content-length") if r else None) or 0)
                if len(rest) < n:
                    break
                buf = rest[n:]
                if r and r.code >= 200:
                    return r
    return None


# ---- RTP and RFC 4733 ----

def parse_rtp(data):
    """(pt, marker, seq, ts, ssrc, payload) of an RTP packet, or None."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    cc = data[0] & 0x0F
    off = 12 + 4 * cc
    if data[0] & 0x10:
        if len(data) < off + 4:
            return None
        off += 4 + 4 * struct.unpack("!H", data[off + 2:off + 4])[0]
    if len(data) < off:
        return None
    end = len(data)
    if data[0] & 0x20:
        end -= data[-1]
        if end < off:
            return None
    seq, ts, ssrc = struct.unpack("!HII", data[2:12])
    return data[1] & 0x7F, bool(data[1] & 0x80), seq, ts, ssrc, data[off:end]


RFC4733_DIGITS = "0123456789*#ABCD"


def rfc4733_digits(packets, pt):
    """Digits of the RFC 4733 events of payload type @pt in @packets
    (parse_rtp tuples, arrival order): one digit per event (RTP timestamp)
    that has an end packet.  Returns (digits, events) where events lists
    (digit, timestamp, duration, ended)."""
    events = {}
    order = []
    for p in packets:
        if p[0] != pt or len(p[5]) < 4:
            continue
        code, flags, duration = p[5][0], p[5][1], struct.unpack("!H", p[5][2:4])[0]
        ts = p[3]
        if ts not in events:
            order.append(ts)
            events[ts] = [RFC4733_DIGITS[code] if code < 16 else f"<{code}>", ts, duration, False]
        ev = events[ts]
        ev[2] = max(ev[2], duration)
        if flags & 0x80:
            ev[3] = True
    evs = [tuple(events[ts]) for ts in order]
    return "".join(e[0] for e in evs if e[3]), evs


# ---- audio ----

class Sprayer:
    """A stranger spraying RTP at @host:@port (from @src_host, default
    @host): a loud 3 kHz tone in PCMU, one SSRC, sequence and timestamps
    in order (what passes probation), a packet every 5 ms (later on a
    loaded machine) until stopped."""

    def __init__(self, host, port, src_host=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioop  # G.711 encoding (stdlib, Python < 3.13)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((src_host or host, 0))
        self.dest, self.sent, self.stop_ = (host, port), 0, threading.Event()
        tone = struct.pack("<160h", *(int(20000 * math.sin(2 * math.pi * 3000 * i / 8000))
                                      for i in range(160)))
        self.payload = audioop.lin2ulaw(tone, 2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        seq, ts, ssrc = 1, 0, 0x5ca7e5ed
        while not self.stop_.wait(0.005):
            pkt = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + self.payload
            self.sock.sendto(pkt, self.dest)
            seq, ts, self.sent = seq + 1, ts + 160, self.sent + 1

    def stop(self):
        self.stop_.set()
        self.thread.join()
        self.sock.close()


def write_tone_wav(path, hz, seconds, rate=8000, amplitude=8000):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * hz * i / rate)))
                               for i in range(int(rate * seconds))))


def read_wav(path):
    """(samples of the first channel, rate) of a 16-bit PCM WAV file."""
    with wave.open(path, "rb") as w:
        ch, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        data = w.readframes(w.getnframes())
    assert width == 2, f"{path}: {8 * width}-bit samples"
    x = struct.unpack(f"<{len(data) // 2}h", data[:len(data) // 2 * 2])
    return list(x[::ch]), rate


def goertzel_power(x, rate, hz):
    """Mean power of the @hz component of @x (a sine of amplitude A gives
    about A*A/2, the same scale as mean_power)."""
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    n = len(x)
    return max(s1 * s1 + s2 * s2 - k * s1 * s2, 0.0) * 2 / (n * n)


def mean_power(x):
    return sum(v * v for v in x) / len(x) if x else 0.0


def tone_fraction(x, rate, hz):
    """Share of @x's power that is the @hz tone (1.0 = a pure tone)."""
    p = mean_power(x)
    return goertzel_power(x, rate, hz) / p if p else 0.0


def dominant_hz(x, rate, lo=100, hi=3900):
    """The strongest frequency of @x, to about 1 Hz (coarse 10 Hz scan, then
    a 1 Hz refinement around the peak)."""
    best = max(range(lo, hi, 10), key=lambda f: goertzel_power(x, rate, f))
    return max(range(best - 10, best + 11), key=lambda f: goertzel_power(x, rate, f))


def loudest_second(x, rate):
    """The 1 s window of @x with the most power (where the call was)."""
    if len(x) <= rate:
        return x
    step = rate // 2
    starts = range(0, len(x) - rate + 1, step)
    s = max(starts, key=lambda i: mean_power(x[i:i + rate]))
    return x[s:s + rate]
