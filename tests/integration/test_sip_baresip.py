"""test_sip_baresip.py — a real SIP softphone as the far end: baresip
(headless: g711, aufile as its microphone playing a 440 Hz tone, sndfile
recording what it receives, aubridge as a silent speaker; auto answer, no
registration) behind the default trunk.  The browser calls it: the browser
hears baresip's 440 Hz, and baresip's recording holds the browser's 1 kHz.

Debian's baresip 1.0.0 has no aufile player, so the recording comes from
the sndfile filter (dump-*-dec.wav: the decoded audio baresip received).

Runs on 127.0.0.14."""
import glob
import os
import shutil
import tempfile
import time

from siptest import (BARESIP, Browser, Proc, SipResults, check_clean_stop, connected, describe,
                     dominant_hz, free_sip_port, loudest_second, read_wav, require_baresip,
                     sip_daemon, skip, tone_fraction, wait_idle, wait_udp_bound, write_tone_wav)

HOST = "127.0.0.14"
NUMBER = "15550100"
MODULES = ("g711", "aufile", "aubridge", "sndfile", "account")


def baresip_config(folder, port, tone_wav, rec_dir):
    os.makedirs(rec_dir, exist_ok=True)
    with open(os.path.join(folder, "config"), "w") as f:
        f.write(f"""poll_method epoll
sip_listen {HOST}:{port}
audio_player aubridge,speaker
audio_alert aubridge,speaker
audio_source aufile,{tone_wav}
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module_app account.so
snd_path {rec_dir}
""")
    with open(os.path.join(folder, "accounts"), "w") as f:
        f.write(f"<sip:{NUMBER}@{HOST}:{port}>;regint=0;answermode=auto\n")


def check_browser_and_baresip_hear_each_other(far):
    tmp = tempfile.mkdtemp(prefix="baresip-")
    cfg, rec = os.path.join(tmp, "config.d"), os.path.join(tmp, "rec")
    os.makedirs(cfg)
    tone = os.path.join(tmp, "tone440.wav")
    write_tone_wav(tone, 440, 60)  # aufile ends the call at the end of its file
    baresip_config(cfg, far, tone, rec)
    bs = Proc("baresip", [BARESIP, "-f", cfg, "-t", "90"], env={**os.environ, "HOME": tmp}, cwd=tmp)
    wait_udp_bound(HOST, far, timeout=15)
    with sip_daemon(HOST, far, trunk_over={"codecs": "PCMU PCMA"}) as d:
        b = Browser(d, "--to", NUMBER, "--tone", "1000", "--seconds", "5")
        c = b.result()
        print(f"   {describe(c)}")
        wait_idle(d)
        check_clean_stop(d)
    time.sleep(0.5)  # baresip closes its recording when the BYE arrives
    bs.stop()
    assert connected(c), c
    assert b.rc == 0, (b.rc, c)
    # baresip's microphone, through G.711 and Opus, at the browser
    assert abs(c["frequency_hz"] - 440) <= 10, c["frequency_hz"]
    recs = glob.glob(os.path.join(rec, "*-dec.wav"))
    assert recs, f"baresip recorded nothing: {os.listdir(rec)}\n{bs.text()[-3000:]}"
    x, rate = read_wav(recs[0])
    sec = loudest_second(x, rate)
    hz, share = dominant_hz(sec, rate), tone_fraction(sec, rate, 1000)
    print(f"   baresip received {len(x) / rate:.1f} s; loudest second: {hz} Hz, "
          f"1 kHz share of power {share:.2f}")
    # the browser's tone, through Opus and G.711, at baresip
    assert len(x) >= 3 * rate, len(x)
    assert abs(hz - 1000) <= 10, hz
    assert share > 0.5, share
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    require_baresip()
    missing = [m for m in MODULES if not os.path.exists(f"/usr/lib/baresip/modules/{m}.so")]
    if missing:
        skip(f"baresip modules missing: {', '.join(missing)}")
    res = SipResults()
    res.run("baresip_far_end_440hz_heard_by_browser_and_1khz_recorded_by_baresip",
            check_browser_and_baresip_hear_each_other, free_sip_port(HOST))
    res.exit()


if __name__ == "__main__":
    main()
