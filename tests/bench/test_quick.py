"""bench/run --quick, small enough for the test command: it must run every
step (load, the eos, at-least-once and raw contenders, restore, latency,
simulate, callgrind) on the suite's broker and end with one RESULT line that
parses. It checks that the benchmark works, not any speed.

usage: test_quick.py BUILD_DIR. Needs CSPFLOW_BOOTSTRAP (skip 77 without it,
or fail under CSPFLOW_REQUIRE_ALL=1). The Kafka Streams peer is left out
here (a JVM and a Maven build would take minutes): kstreams figures are na.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "kafka"))
import kafkatest as kt  # noqa: E402

KEYS = ["eos_eps", "raw_eps", "kstreams_eps", "ratio_raw", "ratio_kstreams",
        "rss_mb", "kstreams_rss_mb", "restore_rps", "instr_per_event", "p99_ms"]
# must be figures in this run; the others may be na (kstreams is not run,
# callgrind is skipped in a sanitizer build)
MEASURED = ["eos_eps", "raw_eps", "ratio_raw", "rss_mb", "restore_rps",
            "p99_ms"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_quick.py BUILD_DIR")
    rep = kt.Report("bench.quick")
    boot = kt.bootstrap()
    res = tempfile.mkdtemp(prefix="cspflow-bench-test-")
    argv = [sys.executable, os.path.join(ROOT, "bench", "run"), "--quick",
            "--migrations", "150", "--bootstrap", boot, "--build", sys.argv[1],
            "--results", res, "--contenders", "eos,alo,raw",
            "--latency-contenders", "eos", "--latency-seconds", "3",
            "--warmup", "1", "--settle", "2", "--callgrind-migrations", "40",
            "--latency-dump", os.path.join(res, "dump")]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    out = p.stdout.splitlines()
    rep.check("bench/run --quick exits 0", p.returncode == 0,
              f"exit {p.returncode}: {p.stderr[-1500:]}\n" + "\n".join(out[-20:]))
    results = [l for l in out if l.startswith("RESULT")]
    rep.check("exactly one RESULT line, the last one",
              len(results) == 1 and out and out[-1] == results[0],
              "\n".join(out[-5:]))
    fig = {}
    if results:
        pairs = results[0].split()[1:]
        fig = dict(p.split("=", 1) for p in pairs if "=" in p)
        rep.check("RESULT has the ten keys in order",
                  [p.split("=", 1)[0] for p in pairs] == KEYS, results[0])
        num = re.compile(r"^(na|[0-9]+(\.[0-9]+)?)$")
        rep.check("every value is a number or na",
                  all(num.match(v) for v in fig.values()), results[0])
        rep.check("the figures of what ran are numbers",
                  all(fig.get(k, "na") != "na" for k in MEASURED), results[0])
    rep.check("results JSON written",
              os.path.exists(os.path.join(res, "latest.json")), res)
    # --latency-dump: one "sent_ms latency_ms" line per input sent
    dump = os.path.join(res, "dump", "lat-eos.txt")
    rows = []
    if os.path.exists(dump):
        with open(dump) as f:
            rows = [l.split() for l in f if l.strip()]
    rep.check("--latency-dump wrote one line of two numbers per input",
              rows and all(len(r) == 2 and float(r[1]) >= -1 for r in rows)
              and any(float(r[1]) >= 0 for r in rows),
              f"{dump}: {len(rows)} line(s)")
    subprocess.run(["rm", "-rf", res])
    rep.finish()


if __name__ == "__main__":
    main()
