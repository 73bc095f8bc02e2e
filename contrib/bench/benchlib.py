"""benchlib.py — the processes of contrib/bench/run and what they report:
the daemon (rtcsipd, pinned, fresh per step), the SIP echo UA (sipp
-rtp_echo behind the daemon's trunk), the load generator (rtcsip-call in
load mode), CPU and RSS from /proc, and the parsing of the daemon's log
and sipp's message trace.  Python 3 standard library only.

The peers (rtp-echo, rtcsip-call's media loops) are paced by default: they
drain their sockets every PEER_PACE_US instead of sleeping on them.  On
loopback a sender's sendto runs the receiver's delivery and wakes the
receiver if it sleeps on that socket, inside the sender's system call, which
a daemon never pays for on a real network (nor does the codec floor).  In
perf the daemon's share of sock_def_readable fell from 6% to 0.1% with
pacing, yet its CPU per call-second from /proc did not move beyond noise
(+-7%, 2026-11-21); what pacing does buy is a load generator using half
the CPU, so its core saturates later.  Pacing costs the peers up to
PEER_PACE_US of delay per packet (see echo_delay_ms and step_latency in
run)."""
import json
import math
import os
import random
import re
import signal
import socket
import ssl
import statistics
import struct
import subprocess
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
PEER_PACE_US = 1000   # rtp-echo --pace-us, rtcsip-call --paced-poll-us (0: peers sleep)


def free_port(host, kind=socket.SOCK_DGRAM, both=False, pair=False):
    """A free port on @host (free for UDP and TCP when @both; also the next
    one when @pair, for sipp's RTP + video echo ports)."""
    for _ in range(500):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        try:
            socks = []
            for p in ([port, port + 2] if pair else [port]):
                for k in ([socket.SOCK_DGRAM, socket.SOCK_STREAM] if both else [kind]):
                    t = socket.socket(socket.AF_INET, k)
                    socks.append(t)
                    t.bind((host, p))
            return port
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise RuntimeError(f"no free port on {host}")


def port_free(host, port):
    """Whether nobody has bound @host:@port for UDP yet."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def percentile(values, p):
    """Nearest-rank percentile of @values (None when empty)."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def proc_cpu_s(pid):
    """User + system CPU seconds of process @pid (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_stat_cpus():
    """/proc/stat's cpu rows: {"cpu": [user, nice, system, idle, iowait,
    irq, softirq, steal, ...], "cpu0": [...], ...} in USER_HZ ticks."""
    with open("/proc/stat") as f:
        return {col[0]: [int(x) for x in col[1:]] for col in (line.split() for line in f)
                if col and col[0].startswith("cpu")}


def system_busy_s(cpu=None):
    """CPU seconds all cores (or core @cpu) were not idle since boot: wall
    time minus idle and iowait from /proc/stat, not the sum of its busy
    fields.  With tick accounting (CONFIG_TICK_CPU_ACCOUNTING, HZ 250 here)
    the busy fields are sampled at each 4 ms tick, and the media clock's
    2-20 ms grid is phase-locked to it: the same load read 8% or 51% of a
    core by that sum (ten clock slots, 25 calls).  Idle time is accounted
    exactly on a tickless kernel (NO_HZ: idle entry to exit), so wall minus
    idle tracked the daemon's own utime + stime within 0.3 points plus the
    host's steal, where the sum strayed by up to 18.  Steal stays in:
    time the host took while the core had work is time the core was not
    free, and steal around a wake-up from idle may already lie inside the
    guest's idle time (with steal subtracted as well, one smoke run read
    the core 7 points below the daemon pinned to it)."""
    now = time.monotonic()
    rows = proc_stat_cpus()
    # the machine-wide row covers every cpuN row of the same file
    cores = 1 if cpu is not None else max(1, len(rows) - 1)
    col = rows.get("cpu" if cpu is None else f"cpu{cpu}")
    return now * cores - (col[3] + col[4]) / CLK_TCK if col else 0.0  # idle, iowait


def cpu_steal_s(cpu):
    """CPU seconds the host ran something else when core @cpu wanted to
    run (/proc/stat steal, a wake-up from idle included): time this guest's
    work waited, invisible in any process's CPU figure."""
    col = proc_stat_cpus().get(f"cpu{cpu}")
    return col[7] / CLK_TCK if col and len(col) > 7 else 0.0


def thread_sleeps(pid, prefix="media-"):
    """Times the threads of @pid whose names start with @prefix blocked
    since they started (voluntary_ctxt_switches in /proc/PID/task/TID/
    status): a media loop waiting in poll with nothing to do, or on a lock;
    each costs it a wake-up (media-bench's "wakeup_us")."""
    n = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return n  # the process is gone: the step reports why
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(prefix):
                    continue
            n += status_field(f"/proc/{pid}/task/{tid}/status", "voluntary_ctxt_switches")
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return n


def status_field(path, key):
    """The number after "@key:" in a /proc .../status file, 0 if absent."""
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def proc_rss_kib(pid):
    return status_field(f"/proc/{pid}/status", "VmRSS")


def udp_drops(pid):
    """Datagrams the kernel dropped (receive buffer full) on each UDP socket
    process @pid has open now (/proc/net/udp "drops"), by socket inode."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return {}
    out = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    col = line.split()
                    if len(col) >= 13 and col[9] in inodes:
                        out[col[9]] = int(col[12])
        except OSError:
            pass
    return out


def drops_between(before, after):
    """Drops between two udp_drops() readings, on the sockets open at the
    second (a socket opened meanwhile: all of its drops).  A socket closed
    meanwhile took its count with it: left out, never subtracted."""
    return sum(n - before.get(ino, 0) for ino, n in after.items())


def stop_process(proc, sig=signal.SIGTERM, timeout=10):
    """Stop one process we started, by its pid; returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def pinned(cpu, cmd):
    return (["taskset", "-c", str(cpu)] if cpu is not None else []) + cmd


class Daemon:
    """rtcsipd on @host with one trunk toward the echo UA, media.threads = 1,
    no admission limits (max_calls, max_busy_pct), pinned to @cpu; the log
    at info level (it carries the per-call timings and media counters this
    benchmark reads); @settings ("group.key=value") on top."""

    def __init__(self, build, top, workdir, host, echo_port, cpu, passthrough, state_dir,
                 settings=()):
        self.host = host
        self.ws_port = free_port(host, socket.SOCK_STREAM)
        self.sip_port = free_port(host, both=True)
        self.conf = os.path.join(workdir, "rtcsipd.conf")
        groups = {
            "general": {"state_dir": state_dir, "log_level": "info"},
            "signal": {"listen": f"{host}:{self.ws_port}", "web_root": os.path.join(top, "contrib", "web")},
            "auth": {"mode": "none"},
            # the admission limits lifted: the steps measure what the
            # daemon carries, not where its policy turns calls away
            "media": {"threads": "1", "max_calls": "5000", "max_busy_pct": "0",
                      "passthrough": "true" if passthrough else "false"},
            "ice": {"local_addresses": host, "remote_networks": "127.0.0.0/8"},
            "echo": {"enabled": "false"},
            "sip": {"listen": f"{host}:{self.sip_port}", "rtp_address": host, "max_calls": "5000"},
            "trunk.bench": {"proxy": f"sip:{host}:{echo_port}", "transport": "udp",
                            "register": "false", "options_interval": "0", "codecs": "PCMU",
                            "allowed_networks": f"{host}/32"},
            "route": {"default": "bench"},
        }
        for kv in settings:
            key, sep, value = kv.partition("=")
            group, dot, name = key.rpartition(".")
            if not sep or not dot or not group or not name:
                raise ValueError(f"--set {kv!r}: want GROUP.KEY=VALUE")
            groups.setdefault(group, {})[name] = value.strip()
        with open(self.conf, "w") as f:
            for g, kv in groups.items():
                f.write(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()))
        self.log_path = os.path.join(workdir, "rtcsipd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(pinned(cpu, [os.path.join(build, "rtcsipd"), "--config", self.conf]),
                                     stdout=subprocess.DEVNULL, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        self.ws_url = f"wss://{host}:{self.ws_port}/ws"
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rtcsipd exited at start, see {self.log_path}")
            try:
                self.health()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"rtcsipd did not come up, see {self.log_path}")
                time.sleep(0.1)

    def health(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        url = f"https://{self.host}:{self.ws_port}/healthz"
        with urllib.request.urlopen(url, context=ctx, timeout=5) as r:
            return json.loads(r.read())

    def wait_calls(self, n, timeout, stop_if=None, stall_s=10):
        """Wait until @n calls are in progress, or their count has not grown
        for @stall_s (calls refused or failed: the step says so); the last
        count seen."""
        deadline = time.time() + timeout
        calls, grew = 0, time.time()
        while time.time() < deadline:
            seen = self.health().get("calls", 0)
            if seen > calls:
                grew = time.time()
            calls = seen
            if calls >= n or (stop_if and stop_if()) or time.time() - grew > stall_s:
                break
            time.sleep(0.5)
        return calls

    def cpu_s(self):
        return proc_cpu_s(self.proc.pid)

    def rss_kib(self):
        return proc_rss_kib(self.proc.pid)

    def media_sleeps(self):
        return thread_sleeps(self.proc.pid)

    def stop(self):
        rc = stop_process(self.proc)
        self.log.close()
        return rc

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class EchoUA:
    """The SIP far end: sipp with contrib/bench/echo-uas.xml answers every
    INVITE with an SDP that points at contrib/bench/rtp-echo, which sends
    every RTP packet straight back to its sender; both pinned to @cpu.
    With @trace, sipp's message trace (timestamps of each 200 OK).  With
    @pace_us > 0 rtp-echo drains its socket every @pace_us instead of
    sleeping on it (sipp carries SIP only: it is not paced)."""

    def __init__(self, build, top, workdir, host, cpu, trace=False, pace_us=PEER_PACE_US):
        self.host = host
        self.pace_us = pace_us
        self.port = free_port(host, both=True)
        self.media_port = free_port(host)
        sipp_media = free_port(host, pair=True)   # sipp binds one even unused
        self.trace = os.path.join(workdir, "sipp-messages.log") if trace else None
        self.out = open(os.path.join(workdir, "sipp-out.log"), "w")
        self.echo_out = open(os.path.join(workdir, "rtp-echo.out"), "w+")
        pace = ["--pace-us", str(pace_us)] if pace_us > 0 else []
        self.echo = subprocess.Popen(pinned(cpu, [os.path.join(build, "contrib", "bench", "rtp-echo")] +
                                            pace + [host, str(self.media_port)]),
                                     stdout=self.echo_out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        cmd = ["sipp", "-sf", os.path.join(top, "contrib", "bench", "echo-uas.xml"),
               "-i", host, "-p", str(self.port), "-mi", host, "-mp", str(sipp_media),
               "-set", "echo_port", str(self.media_port), "-nostdin", "-trace_err",
               "-error_file", os.path.join(workdir, "sipp-errors.log")]
        if trace:
            cmd += ["-trace_msg", "-message_file", self.trace]
        self.proc = subprocess.Popen(pinned(cpu, cmd), stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=workdir)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None or self.echo.poll() is not None:
                break
            if not port_free(host, self.port) and not port_free(host, self.media_port):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sipp or rtp-echo did not start, see {workdir}/sipp-out.log, rtp-echo.out")

    def pids(self):
        return [self.proc.pid, self.echo.pid]

    def cpu_s(self):
        return sum(proc_cpu_s(p) for p in self.pids())

    def udp_drops(self):
        return udp_drops(self.echo.pid)

    def echo_delay_ms(self, count=20):
        """The echo's own delay: round trips of RTP-sized packets sent
        straight to its media port (median, ms).  Paced, a packet waits for
        the echo's next drain: about half its period on average.  The gaps
        between packets vary by up to two periods so that our own timer
        cannot fall into step with the echo's (both sleep on this core) and
        always find it just woken, or just about to wake."""
        rtts = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((self.host, 0))
            s.settimeout(1.0)
            for i in range(count):
                pkt = struct.pack("!BBHII", 0x80, 0, i, i * 160, 0x62656e63) + bytes(160)
                t0 = time.perf_counter()
                s.sendto(pkt, (self.host, self.media_port))
                try:
                    while s.recv(2048) != pkt:
                        pass
                    rtts.append((time.perf_counter() - t0) * 1000)
                except socket.timeout:
                    pass
                time.sleep(0.02 + random.random() * 2 * self.pace_us / 1e6)
        return statistics.median(rtts) if rtts else None

    def stop(self):
        # sipp ends gracefully on SIGINT (waits for calls), at once on SIGKILL
        stop_process(self.proc, signal.SIGINT, timeout=3)
        stop_process(self.echo)
        self.out.close()
        self.echo_out.close()


class LoadGen:
    """rtcsip-call placing @calls calls at @rate per second, each sending the
    pre-encoded tone with the latency probe for @duration s, pinned to @cpu;
    with @pace_us > 0 its media loops poll every @pace_us instead of
    sleeping on their sockets (--paced-poll-us)."""

    def __init__(self, build, workdir, url, host, cpu, calls, rate, duration, codec,
                 measure_every, max_wait=30, pace_us=PEER_PACE_US):
        self.out_path = os.path.join(workdir, "rtcsip-call.json")
        self.err_path = os.path.join(workdir, "rtcsip-call.err")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        cmd = [os.path.join(build, "rtcsip-call"), "--url", url, "--to", "1000",
               "--local-address", host, "--calls", str(calls), "--rate", str(rate),
               "--duration", str(duration), "--threads", "1", "--codec", codec, "--probe",
               "--tone", "1000", "--measure-every", str(measure_every),
               "--call-id-header", "X-Bench-Call", "--max-wait", str(max_wait), "--json"]
        if pace_us > 0:
            cmd += ["--paced-poll-us", str(pace_us)]
        self.cmd = cmd
        self.proc = subprocess.Popen(pinned(cpu, cmd), stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL)

    def running(self):
        return self.proc.poll() is None

    def cpu_s(self):
        return proc_cpu_s(self.proc.pid)

    def result(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = stop_process(self.proc)
        self.out.close()
        self.err.close()
        try:
            with open(self.out_path) as f:
                return rc, json.load(f)
        except ValueError:
            with open(self.err_path, errors="replace") as f:
                raise RuntimeError(f"rtcsip-call gave no report (exit {rc}): {f.read()[-800:]}")


# ---- the daemon's log ----

_CALL = r"\[call (\S+) \([^)]*\)\] "
_COUNTERS = re.compile(_CALL + r"media counters: (.*)$", re.M)
_ANSWER = re.compile(_CALL + r"answer sent (\d+) us after the call", re.M)
_INVITE = re.compile(_CALL + r"INVITE to \S+ via \S+ sent (\d+) us after the call", re.M)


def daemon_counters(log):
    """{call id: {counter: int}} from the "media counters:" line of each call."""
    out = {}
    for m in _COUNTERS.finditer(log):
        out[m.group(1)] = {k: int(v) for k, v in (kv.split("=", 1) for kv in m.group(2).split())}
    return out


_LATENCY = re.compile(_CALL + r"media latency (to_sip|to_browser): n=(\d+) .* max=(\d+)us hist=(\S+)$",
                      re.M)


def daemon_latency(log):
    """Time inside the gateway per packet sent, summed over every call's
    "media latency" lines: {"to_sip"|"to_browser": {"buckets": {low µs:
    count}, "max_us": int, "n": int, "truncated": calls}}."""
    out = {w: {"buckets": {}, "max_us": 0, "n": 0, "truncated": 0} for w in ("to_sip", "to_browser")}
    for m in _LATENCY.finditer(log):
        h = out[m.group(2)]
        h["n"] += int(m.group(3))
        h["max_us"] = max(h["max_us"], int(m.group(4)))
        cut = False
        for e in m.group(5).split(","):
            low, sep, count = e.partition(":")
            if low.isdigit() and count.isdigit():
                h["buckets"][int(low)] = h["buckets"].get(int(low), 0) + int(count)
            elif e != "-":
                cut = True      # "...", or an entry the log line cut short
        h["truncated"] += cut
    return out


def latency_percentile(h, p):
    """The @p percentile of a daemon_latency() histogram in µs: the upper
    end of its bucket (gw/latency.h: exact below 8 µs, then 8 buckets per
    power of two), never above the maximum; None when empty."""
    total = sum(h["buckets"].values())
    if not total:
        return None
    want, seen = max(1, math.ceil(total * p / 100.0)), 0
    for low in sorted(h["buckets"]):
        seen += h["buckets"][low]
        if seen >= want:
            high = low if low < 8 else low + ((1 << (low.bit_length() - 1)) >> 3)
            return min(high, h["max_us"])
    return h["max_us"]


def daemon_setup_us(log):
    """({call: `call` -> `answer` sent µs}, {call: `call` -> INVITE sent µs})."""
    return ({m.group(1): int(m.group(2)) for m in _ANSWER.finditer(log)},
            {m.group(1): int(m.group(2)) for m in _INVITE.finditer(log)})


# ---- sipp's message trace ----

_TRACE_HEAD = re.compile(r"^-+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$", re.M)


def sipp_200_ok_ms(path):
    """{X-Bench-Call id: wall-clock ms when sipp sent the 200 OK to its
    INVITE}, matched through the Call-ID."""
    import datetime
    with open(path, errors="replace") as f:
        text = f.read()
    heads = list(_TRACE_HEAD.finditer(text))
    call_of = {}   # Call-ID -> our call id
    sent_200 = {}  # Call-ID -> ms
    for i, h in enumerate(heads):
        body = text[h.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        cid = re.search(r"^Call-ID:\s*(\S+)", body, re.M | re.I)
        if not cid:
            continue
        cid = cid.group(1)
        tag = re.search(r"^X-Bench-Call:\s*(\S+)", body, re.M | re.I)
        if tag:
            call_of[cid] = tag.group(1)
        if "message sent" in body[:200] and re.search(r"^SIP/2.0 200 .*\n(?:.*\n)*?CSeq:\s*\d+ INVITE",
                                                      body, re.M | re.I):
            if cid not in sent_200:
                t = datetime.datetime.strptime(h.group(1), "%Y-%m-%d %H:%M:%S.%f")
                sent_200[cid] = t.timestamp() * 1000
    return {call_of[c]: ms for c, ms in sent_200.items() if c in call_of}
