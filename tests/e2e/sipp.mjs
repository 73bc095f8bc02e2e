// sipp.mjs — the SIP far end: Debian's sipp (sip-tester) running a
// scenario from tests/e2e/sipp/, with its message trace kept so a test can
// read the SDP sipp received; and that trace parsed into messages.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOST, SRCDIR, freeSipPort, udpFree, waitFor } from './env.mjs';

export const SIPP = process.env.SIPP || '/usr/bin/sipp';
export const SCENARIOS = path.join(SRCDIR, 'tests', 'e2e', 'sipp');


// One sipp process running sipp/@scenario on @opts.host.  UAS: listens on
// @opts.port (default: a free one).  UAC: calls @opts.remote ("host:port")
// as @opts.service.  @opts.echo: -rtp_echo; @opts.sets: -set name value;
// @opts.pauseMs: -d; @opts.calls: -m (default 1).  Its message trace,
// errors and screen go to a temp folder.  Resolves once a UAS has bound
// its port; .done resolves on exit with {code, messages}.
export async function startSipp(scenario, opts = {}) {
  const host = opts.host || HOST;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipp-'));
  const port = opts.port || await freeSipPort(host);
  const mediaPort = opts.mediaPort || await freeSipPort(host, { span: 4, tcp: false });
  const files = Object.fromEntries(['messages', 'errors', 'logs', 'screen'].map((k) => [k, path.join(dir, `${k}.log`)]));
  const args = [];
  if (opts.remote) args.push(opts.remote);
  args.push('-sf', path.join(SCENARIOS, scenario), '-i', host, '-mi', host, '-bind_local',
    '-p', String(port), '-mp', String(mediaPort), '-m', String(opts.calls || 1), '-nd', '-nostdin',
    '-timeout', `${opts.timeoutS || 60}s`, '-timeout_error',
    '-trace_msg', '-message_file', files.messages, '-trace_err', '-error_file', files.errors,
    '-trace_logs', '-log_file', files.logs, '-trace_screen', '-screen_file', files.screen);
  if (opts.echo) args.push('-rtp_echo');
  if (opts.service) args.push('-s', opts.service);
  if (opts.pauseMs !== undefined) args.push('-d', String(opts.pauseMs));
  for (const [k, v] of Object.entries(opts.sets || {})) args.push('-set', k, String(v));
  args.push(...(opts.args || []));
  const out = fs.openSync(path.join(dir, 'stdout.log'), 'w');
  const proc = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const read = (f) => { try { return fs.readFileSync(f, 'latin1'); } catch { return ''; } };
  const h = {
    scenario, port, mediaPort, dir, proc, code: undefined,
    addr: `${host}:${port}`,
    messages: () => read(files.messages),
    errors: () => read(files.errors),
    running: () => h.code === undefined,
    // The SIP messages sipp sent and received, in order.
    parsed: () => parseTrace(read(files.messages)),
    stop: async () => {
      if (h.code !== undefined) return;
      proc.kill('SIGINT'); // sipp writes its logs and quits
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await h.done;
      clearTimeout(t);
    },
    report: () => `---- sipp ${scenario} (exit ${h.code}) ----\n${SIPP} ${args.join(' ')}\n` +
      `-- errors --\n${read(files.errors).slice(-4000)}\n-- messages --\n${read(files.messages).slice(-8000)}\n` +
      `-- log --\n${read(files.logs).slice(-2000)}\n-- output --\n${read(path.join(dir, 'stdout.log')).slice(-1500)}\n`,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  h.done = new Promise((r) => proc.once('exit', (code, sig) => {
    h.code = code === null ? `signal ${sig}` : code;
    r({ code: h.code, messages: read(files.messages) });
  }));
  if (opts.scene) opts.scene.add(h);
  if (!opts.remote) {
    await waitFor(async () => !(await udpFree(host, port)) || h.code !== undefined, 10000, `sipp to bind ${host}:${port}`);
    if (h.code !== undefined) throw new Error(`sipp exited at start (${h.code}):\n${h.report()}`);
  }
  return h;
}

// Wait for sipp to finish; throws with its error log unless it exited 0
// (0: every call passed; 1: a call failed; 255/254: fatal).
export async function sippOk(h, timeout = 60000) {
  const t = setTimeout(() => h.stop(), timeout);
  const { code } = await h.done;
  clearTimeout(t);
  if (code !== 0) throw new Error(`sipp ${h.scenario} exit ${code}: ${h.errors().slice(-1500) || '(no sipp error log)'}`);
}

// sipp's -trace_msg text as [{dir: 'sent'|'received', first, body, text}].
export function parseTrace(text) {
  const out = [];
  const re = /-{20,} \S+\s+\S+\s*\n\w+ message (sent|received)[^\n]*\n\s*\n([\s\S]*?)(?=\n-{20,} |\s*$)/g;
  for (let m; (m = re.exec(text));) {
    const msg = m[2].replace(/\r/g, '');
    const at = msg.indexOf('\n\n');
    out.push({ dir: m[1], first: msg.split('\n', 1)[0], body: at >= 0 ? msg.slice(at + 2) : '', text: msg });
  }
  return out;
}
