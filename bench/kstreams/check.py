#!/usr/bin/env python3
"""The Kafka Streams peer gives what cspflow gives (issue 6's bar before its
figures count).

For every examples/*.jsonl (with its .catalog.json) and one seeded workload
of scripts/gen-workload (--migrations N, default 2000, --seed S, default 6),
each on topics of its own: `cspflow produce` the input (lines Avro cannot
carry go raw, as in tests/kafka/test_examples.py), run bench/kstreams/run.sh
until the application's committed offsets reach the end of the input,
SIGTERM it (it must exit 0), then read its actions, DLQ and audit topics
read_committed with `cspflow tail` and compare with `cspflow simulate` of
the same input:

- actions: per key, the same records in the same order (event ids, every
  field), hence the same counts per type, which are printed;
- DLQ: one record per simulate rejection, with the same reason codes;
- audit: one record per input.

usage: check.py CSPFLOW [--migrations N] [--seed S] [--only examples|workload]
Needs CSPFLOW_BOOTSTRAP (skip 77 without it, or fail under
CSPFLOW_REQUIRE_ALL=1), Java 17 and Maven.
"""
import argparse
import collections
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "kafka"))
import kafkatest as kt  # noqa: E402

RUN = os.path.join(HERE, "run.sh")


class Case:
    """One input on topics of its own, and the peer that drains them."""

    def __init__(self, rep, binary, name, path, catalog):
        self.name, self.path, self.catalog = name, path, catalog
        self.env = kt.Env(binary, f"ks-{name}")
        sim = self.env.simulate(path, catalog)
        self.want = kt.actions_of_simulate(sim)
        self.want_rej = kt.rejections_of_simulate(sim)
        self.n_in = kt.produce_input(rep, self.env, path, sim, name)
        self.app_id = f"{self.env.prefix}.kstreams"
        self.proc = None
        self.log = self.env.path("kstreams.log")

    def start(self):
        argv = [RUN, self.env.bootstrap, self.env.topics["events"], self.env.prefix,
                self.app_id, self.env.path("state")]
        if self.catalog:
            argv += ["--catalog", self.catalog]
        with open(self.log, "w") as f:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=f)
        self.t0 = time.monotonic()

    def stop(self, rep, timeout):
        caught_up = kt.wait_caught_up(self.env, group=self.app_id, timeout=timeout)
        rep.check(f"{self.name}: the peer's committed offsets reach the end of the "
                  f"input", caught_up, f"{time.monotonic() - self.t0:.1f}s from start")
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = f"killed after 120 s: {self.proc.wait()}"
        rep.check(f"{self.name}: run.sh exits 0 on SIGTERM", rc == 0, f"exit {rc}")
        self.summary = kt.summary_of(self.log)

    def check(self, rep, counts):
        name, env = self.name, self.env
        got = env.tail("actions")
        kt.compare_per_key(rep, f"{name}: actions", self.want, got)
        want_types = collections.Counter(json.loads(l)["type"] for l in self.want)
        got_types = collections.Counter(json.loads(l)["type"] for l in got)
        rep.check(f"{name}: action counts per type equal", want_types == got_types,
                  f"{sum(got_types.values())} actions")
        counts.append((name, want_types, got_types))

        dlq = [json.loads(l) for l in env.tail("dlq")]
        codes = sorted(d.get("reason", "").split(":")[0] for d in dlq)
        want_codes = sorted("malformed" if c in kt.NOT_ENCODABLE else c
                            for c in (r["reason"].split(":")[0] for r in self.want_rej))
        rep.check(f"{name}: DLQ reason codes == simulate's", codes == want_codes,
                  f"{len(dlq)} in the DLQ, {len(want_codes)} from simulate")
        audit = env.tail("audit")
        rep.check(f"{name}: one audit record per input", len(audit) == self.n_in,
                  f"{len(audit)} audit records, {self.n_in} inputs")
        s = self.summary
        if rep.check(f"{name}: summary line printed", s is not None, self.log):
            rep.check(f"{name}: summary rejected == DLQ records",
                      s.get("rejected") == len(dlq), json.dumps(s))


def print_counts(counts):
    types = sorted({t for _, w, g in counts for t in list(w) + list(g)})
    print("     action counts per type (simulate / kstreams):")
    for name, w, g in counts:
        print(f"     {name}:")
        for t in types:
            if w.get(t) or g.get(t):
                mark = "" if w.get(t) == g.get(t) else "   <-- differs"
                print(f"       {t:34s} {w.get(t, 0):7d} / {g.get(t, 0):7d}{mark}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cspflow")
    ap.add_argument("--migrations", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--only", choices=("examples", "workload"))
    a = ap.parse_args()
    binary = os.path.abspath(a.cspflow)
    rep = kt.Report("kstreams peer vs simulate")
    kt.bootstrap()
    for tool in ("java", "mvn", "flock"):
        if not shutil.which(tool):
            kt.skip_or_fail(f"{tool} not found")
    b = subprocess.run([RUN, "--build"], capture_output=True, text=True)
    if not rep.check("run.sh --build (mvn package)", b.returncode == 0, b.stderr[-2000:]):
        rep.finish()

    counts = []
    if a.only != "workload":
        cases = []
        for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.jsonl"))):
            name = os.path.basename(path)[:-len(".jsonl")]
            cases.append(Case(rep, binary, name, path, kt.catalog_for(path)))
        cases = [c for c in cases if c.n_in is not None]
        for c in cases:  # side by side: each on its own topics
            c.start()
        for c in cases:
            c.stop(rep, timeout=180)
        for c in cases:
            c.check(rep, counts)
    if a.only != "examples":
        env = kt.Env(binary, "ks-gen")
        inp, catalog = kt.gen_workload(env, a.migrations, a.seed)
        c = Case(rep, binary, f"workload-{a.migrations}-seed{a.seed}", inp, catalog)
        if c.n_in is not None:
            rep.note(f"{c.name}: {c.n_in} input records")
            c.start()
            c.stop(rep, timeout=600)
            c.check(rep, counts)
    print_counts(counts)
    rep.finish()


if __name__ == "__main__":
    main()
