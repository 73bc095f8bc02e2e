"""gwtest.py — shared helpers for the integration tests: start the real
rtcsipd on 127.0.0.1 with a temporary config, talk HTTPS and WSS to it."""
import asyncio
import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SRCDIR = os.environ.get("GW_TEST_SRCDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILDDIR = os.environ.get("GW_TEST_BUILDDIR", os.path.join(SRCDIR, "build"))
RTCSIPD = os.path.join(BUILDDIR, "rtcsipd")


def free_port(host="127.0.0.1", kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_udp_tcp_port(host="127.0.0.1", avoid=()):
    """A port free for both UDP and TCP on @host (SIP listens on both),
    other than the ports in @avoid (already promised to someone)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((host, 0))
            port = t.getsockname()[1]
            if port in avoid:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no port free for both UDP and TCP on {host}")


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Daemon:
    """The real rtcsipd on a free loopback port, with extra config lines."""

    def __init__(self, extra=None, log_level="info", host="127.0.0.1", nofile=None):
        # Each test file runs its daemon on its own loopback address, so
        # files running in parallel cannot race for the same free port.
        self.host = host
        self.tmp = tempfile.mkdtemp(prefix="rtcsip-it-")
        self.port = free_port(host)
        self.sip_port = free_udp_tcp_port(host, avoid=(self.port,))
        self.conf = os.path.join(self.tmp, "rtcsipd.conf")
        groups = {
            "general": {"state_dir": os.path.join(self.tmp, "state"), "log_level": log_level},
            "signal": {"listen": f"{host}:{self.port}", "web_root": os.path.join(SRCDIR, "contrib", "web")},
            # The suite runs in parallel (make -j, Chromium, ASan) and can
            # take a daemon's core for longer than the shipped 200 ms stale
            # limit: what queued meanwhile would be dropped and counted lost
            # by tests that judge something else. Tests of the stale drop
            # set media.max_queue_ms themselves.
            "media": {"threads": "2", "max_queue_ms": "5000"},
            "ice": {"local_addresses": host, "remote_networks": "127.0.0.0/8"},
            "echo": {"enabled": "true"},
            # SIP on this file's own address too, so parallel files never collide.
            "sip": {"listen": f"{host}:{self.sip_port}", "rtp_address": host},
        }
        for g, kv in (extra or {}).items():
            groups.setdefault(g, {}).update(kv)
        with open(self.conf, "w") as f:
            for g, kv in groups.items():
                f.write(f"[{g}]\n")
                for k, v in kv.items():
                    f.write(f"{k} = {v}\n")
        self.log = open(os.path.join(self.tmp, "rtcsipd.log"), "w+")
        # nofile=(soft, hard): start it under that open-files limit
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile)) if nofile else None
        self.proc = subprocess.Popen([RTCSIPD, "--config", self.conf], stdout=subprocess.PIPE,
                                     stderr=self.log, preexec_fn=limit)
        self.url = f"https://{host}:{self.port}"
        self.ws_url = f"wss://{host}:{self.port}/ws"
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rtcsipd exited at start:\n" + self.log_text())
            try:
                self.health()
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise RuntimeError("rtcsipd did not come up:\n" + self.log_text())

    def log_text(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def get(self, path):
        with urllib.request.urlopen(self.url + path, context=tls_context(), timeout=5) as r:
            return r.status, r.headers.get("content-type", ""), r.read()

    def health(self):
        status, ctype, body = self.get("/healthz")
        assert status == 200, status
        assert ctype.startswith("application/json"), ctype
        return json.loads(body)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        out = self.proc.stdout.read() if self.proc.stdout else b""
        return self.proc.returncode, out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        rc, _ = self.stop()
        if exc[0] is not None:
            sys.stderr.write("---- rtcsipd log ----\n" + self.log_text()[-6000:])


async def ws_connect(d, path="/ws", local=None):
    """Open the daemon's WebSocket (from the address @local, if given)."""
    import websockets
    extra = {"local_addr": (local, 0)} if local else {}
    return await websockets.connect(f"wss://{d.host}:{d.port}{path}", ssl=tls_context(),
                                    subprotocols=["rtcsip.v1"], max_size=None, open_timeout=10,
                                    **extra)


async def request(ws, msg, timeout=5):
    await ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


class Results:
    """Tiny test runner that prints one line per check and a summary."""

    def __init__(self):
        self.passed = self.failed = 0

    def run(self, name, fn, *args):
        t0 = time.time()
        try:
            fn(*args)
            self.passed += 1
            print(f"PASS {name} ({time.time() - t0:.1f}s)", flush=True)
        except Exception as e:  # report and continue with the next check
            import traceback
            self.failed += 1
            print(f"FAIL {name}: {e}", flush=True)
            traceback.print_exc()

    def exit(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
