#!/usr/bin/env python3
"""The Kafka Streams peer gives what cspflow gives (issue 6's bar before its
figures count).

For every examples/*.jsonl (with its .catalog.json), one seeded workload of
scripts/gen-workload (--migrations N, default 2000, --seed S, default 6) and
one random input (--fuzz N events over 60 keys, default 3000, same seed:
every input type in every status, most of them refused), each on topics of
its own: `cspflow produce` the input (lines Avro cannot
carry go raw, as in tests/kafka/test_examples.py), run bench/kstreams/run.sh
until the application's committed offsets reach the end of the input,
SIGTERM it (it must exit 0), then read its actions, DLQ and audit topics
read_committed with `cspflow tail` and compare with `cspflow simulate` of
the same input:

- actions: per key, the same records in the same order (event ids, every
  field), hence the same counts per type, which are printed;
- DLQ: one record per simulate rejection, with the same reason codes; for
  the inputs the rules refused, the same event ids and details too;
- audit: one record per input.

usage: check.py CSPFLOW [--migrations N] [--seed S] [--fuzz N]
                [--only examples|workload]
Needs CSPFLOW_BOOTSTRAP (skip 77 without it, or fail under
CSPFLOW_REQUIRE_ALL=1), Java 17 and Maven.
"""
import argparse
import collections
import glob
import json
import os
import re
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

# The random input of --fuzz: 60 keys, a few sources and offers, so that every
# rule meets every status (and most inputs are refused, with their details).
FUZZ_OFFERS = ["O1", "O2", "O3", "O4", "O5", "O6"]
FUZZ_CATALOG = {"offers": [
    {"offer_id": "O3", "discontinued": True, "equivalent_offer_id": "O4"},
    {"offer_id": "O4", "discontinued": True, "equivalent_offer_id": None},
    {"offer_id": "O6", "discontinued": True, "equivalent_offer_id": "O6"},
    {"offer_id": "O1", "discontinued": False, "equivalent_offer_id": "O2"}]}


def fuzz_input(path, catalog_path, n, seed):
    """n random input events (JSON lines) over 60 keys, reproducible."""
    import random
    rng = random.Random(seed)
    t = 1767225600
    seen = collections.defaultdict(list)
    subs = ["S0", "S1", "S2", "S3"]
    asked = {}  # key -> {source: (offer, quantity)} of its last request
    successor = {"O3": "O4"}

    def iso(x):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(x))

    kinds = (["migration-requested"] * 5 + ["invitation-accepted"] * 4
             + ["offer-discontinued"] * 3 + ["subscription-provisioned"] * 8
             + ["provision-failed"] * 4 + ["licenses-reassigned"] * 4
             + ["subscription-near-expiry"] * 4 + ["cancellation-requested"] * 2
             + ["subscription-cancelled"] * 3 + ["subscription-expired"] * 3)
    with open(path, "w") as f:
        for i in range(n):
            t += rng.randint(1, 7200)
            key = (f"p{rng.randrange(3)}", f"t{rng.randrange(20)}")
            typ = rng.choice(kinds) if rng.random() > 0.002 else "relationship-terminated"
            eid = f"e{i}"
            if seen[key] and rng.random() < 0.08:
                eid = rng.choice(seen[key])  # a redelivery (rule 12)
            seen[key].append(eid)
            e = {"type": typ, "event_id": eid, "occurred_at": iso(t),
                 "partner_id": key[0], "customer_tenant_id": key[1]}
            if rng.random() < 0.3:
                e["correlation_id"] = f"c{rng.randrange(5)}"
            if typ == "migration-requested":
                srcs = []
                for s in rng.sample(subs, rng.choice([0, 1, 2, 2, 3, 3, 3])) + (
                        ["S0"] if rng.random() < 0.05 else []):
                    srcs.append({"subscription_id": s,
                                 "offer_id": rng.choice(FUZZ_OFFERS),
                                 "quantity": rng.choice([0] + [1, 2, 3] * 10),
                                 "channel": rng.choice(["microsoft-direct",
                                                        "other-partner",
                                                        "other-channel"]),
                                 "expires_at": iso(t + rng.randint(1, 400) * 86400)})
                asked[key] = {x["subscription_id"]: (x["offer_id"], x["quantity"])
                              for x in srcs}
                e.update(actor={"user_id": "u", "roles": rng.choice(
                    [["account-admin"]] * 6 + [["sales-agent", "x"], ["billing-agent"],
                                               ["helpdesk-agent"], [], ["Account-Admin"]])},
                    partner_region=rng.choice(["EU"] * 8 + ["eu", "US"]),
                    customer_tenant_region=rng.choice(["EU"] * 8 + ["eU", "US"]),
                    multi_channel=rng.random() < 0.5,
                    delegated_admin=rng.random() < 0.5,
                    source_subscriptions=srcs)
            elif typ == "offer-discontinued":
                e["offer_id"] = rng.choice(FUZZ_OFFERS)
                if rng.random() < 0.6:
                    e["successor_offer_id"] = rng.choice(FUZZ_OFFERS)
            elif typ == "subscription-provisioned":
                # mostly the replacement the rules asked for, so that
                # migrations complete too
                src = rng.choice(subs + ["S9"])
                offer, qty = rng.choice(FUZZ_OFFERS), rng.choice([0, 1, 2, 3])
                if asked.get(key) and rng.random() < 0.8:
                    src = rng.choice(sorted(asked[key]))
                    if rng.random() < 0.7:
                        offer = successor.get(asked[key][src][0], asked[key][src][0])
                    if rng.random() < 0.8:
                        qty = asked[key][src][1]
                e.update(source_subscription_id=src, subscription_id=f"n{rng.randrange(3)}",
                         offer_id=offer, quantity=qty)
            elif typ == "provision-failed":
                e.update(source_subscription_id=rng.choice(subs), reason="503")
            elif typ == "licenses-reassigned":
                e["source_subscription_id"] = rng.choice(sorted(asked.get(key) or subs))
            elif typ in ("subscription-near-expiry", "cancellation-requested",
                         "subscription-cancelled", "subscription-expired"):
                e["subscription_id"] = rng.choice(sorted(asked.get(key) or ["S9"]) + subs)
                if typ == "subscription-near-expiry":
                    e["expires_at"] = iso(t + rng.randint(1, 30) * 86400)
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
    with open(catalog_path, "w") as f:
        json.dump(FUZZ_CATALOG, f)


class Case:
    """One input on topics of its own, and the peer that drains them. With
    halves, the peer drains the first half, stops, and a second peer with
    an empty state dir drains the rest: it must restore the first half's
    state from the changelog."""

    def __init__(self, rep, binary, name, path, catalog, halves=False):
        self.name, self.path, self.catalog = name, path, catalog
        self.env = kt.Env(binary, f"ks-{name}")
        sim = self.env.simulate(path, catalog)
        self.want = kt.actions_of_simulate(sim)
        self.want_rej = kt.rejections_of_simulate(sim)
        self.parts = [path]
        if halves:
            with open(path, "rb") as f:
                lines = f.read().splitlines(keepends=True)
            self.parts = [self.env.path("first-half.jsonl"), self.env.path("second-half.jsonl")]
            for part, chunk in zip(self.parts, (lines[:len(lines) // 2],
                                                lines[len(lines) // 2:])):
                with open(part, "wb") as f:
                    f.write(b"".join(chunk))
        self.n_in = 0
        self.app_id = f"{self.env.prefix}.kstreams"
        self.proc = None
        self.run = 0
        self.summaries = []
        self.ok = self.produce(rep)

    def produce(self, rep):
        """Puts the next part of the input on the events topic."""
        part = self.parts[self.run]
        n = kt.produce_input(rep, self.env, part, self.env.simulate(part, self.catalog),
                             f"{self.name} part {self.run + 1}/{len(self.parts)}")
        self.n_in += n or 0
        return n is not None

    def start(self):
        self.run += 1
        self.log = self.env.path(f"kstreams-{self.run}.log")
        argv = [RUN, self.env.bootstrap, self.env.topics["events"], self.env.prefix,
                self.app_id, self.env.path(f"state-{self.run}")]
        if self.catalog:
            argv += ["--catalog", self.catalog]
        with open(self.log, "w") as f:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=f)
        self.t0 = time.monotonic()

    def stop(self, rep, timeout):
        what = f"{self.name} run {self.run}"
        caught_up = kt.wait_caught_up(self.env, group=self.app_id, timeout=timeout)
        rep.check(f"{what}: the peer's committed offsets reach the end of the input",
                  caught_up, f"{time.monotonic() - self.t0:.1f}s from start")
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = f"killed after 120 s: {self.proc.wait()}"
        rep.check(f"{what}: run.sh exits 0 on SIGTERM", rc == 0, f"exit {rc}")
        self.summaries.append(kt.summary_of(self.log))
        if self.run > 1:
            restored = [json.loads(l) for l in open(self.log, errors="replace")
                        if l.startswith('{"restored"')]
            rep.check(f"{what}: the store was restored from the changelog",
                      restored and restored[0]["restored"] > 0,
                      json.dumps(restored[0]) if restored else "no restore line")

    def more(self):
        return self.run < len(self.parts)

    def check(self, rep, counts):
        name, env = self.name, self.env
        got = env.tail("actions")
        kt.compare_per_key(rep, f"{name}: actions", self.want, got)
        want_types = collections.Counter(json.loads(l)["type"] for l in self.want)
        got_types = collections.Counter(json.loads(l)["type"] for l in got)
        rep.check(f"{name}: action counts per type equal", want_types == got_types,
                  f"{sum(got_types.values())} actions")
        counts.append((name, want_types, got_types))
        self.check_headers(rep, got)

        dlq = [json.loads(l) for l in env.tail("dlq")]
        codes = sorted(d.get("reason", "").split(":")[0] for d in dlq)
        want_codes = sorted("malformed" if c in kt.NOT_ENCODABLE else c
                            for c in (r["reason"].split(":")[0] for r in self.want_rej))
        rep.check(f"{name}: DLQ reason codes == simulate's", codes == want_codes,
                  f"{len(dlq)} in the DLQ, {len(want_codes)} from simulate")
        # The inputs the rules refused: the same event ids, codes and details
        # (simulate's reason names the line: "code: line N: detail").
        want_rules = collections.Counter(
            (r["causation_id"], re.sub(r"^([a-z-]+): line \d+: ", r"\1: ", r["reason"]))
            for r in self.want_rej if r["reason"].split(":")[0] not in kt.NOT_ENCODABLE)
        got_rules = collections.Counter(
            (d.get("causation_id"), d.get("reason")) for d in dlq
            if (d.get("causation_id"), d.get("reason")) in want_rules)
        diff = list((want_rules - got_rules).items())[:3]
        rep.check(f"{name}: refused inputs: same event ids, codes and details",
                  want_rules == got_rules,
                  f"{sum(want_rules.values())} refused" + (f"; missing {diff}" if diff else ""))
        audit = [json.loads(l) for l in env.tail("audit")]
        rep.check(f"{name}: one audit record per input", len(audit) == self.n_in,
                  f"{len(audit)} audit records, {self.n_in} inputs")
        out_ids = sorted(i for a in audit for i in a.get("output_event_ids") or [])
        rep.check(f"{name}: the audit records name every action, once",
                  out_ids == sorted(json.loads(l)["event_id"] for l in got),
                  f"{len(out_ids)} output ids")
        verdicts = collections.Counter(a.get("verdict") for a in audit)
        rep.check(f"{name}: audit verdicts: rejected == DLQ records",
                  verdicts["rejected"] == len(dlq), json.dumps(verdicts))
        if rep.check(f"{name}: summary line printed by every run",
                     all(self.summaries), str(self.summaries)):
            total = collections.Counter()
            for x in self.summaries:
                total.update(x)
            rep.check(f"{name}: summaries: rejected == DLQ records, consumed == inputs",
                      total["rejected"] == len(dlq) and total["consumed"] == self.n_in,
                      json.dumps(total))

    def check_headers(self, rep, got):
        """Each action's key and CloudEvents headers say what its value
        does (`cspflow tail` reads partition 0 to its end, then 1, ...: the
        order of fetch_committed)."""
        c = kt.KafkaClient(self.env.bootstrap)
        try:
            parts = c.fetch_committed(self.env.topics["actions"])
        finally:
            c.close()
        raw = [r for p in sorted(parts) for r in parts[p]]
        bad = []
        for (_off, key, _value, hdrs), line in zip(raw, got):
            o = json.loads(line)
            h = {k: (v or b"").decode() for k, v in hdrs}
            k = f"{o['partner_id']}/{o['customer_tenant_id']}"
            want = {"ce_specversion": "1.0", "ce_id": o["event_id"],
                    "ce_source": f"urn:cspflow:{self.app_id}",
                    "ce_type": f"io.cspflow.migration.{o['type']}",
                    "ce_time": o["occurred_at"], "ce_subject": k,
                    "content-type": "application/avro"}
            if h != want or key != k.encode():
                bad.append((key, h, want))
        rep.check(f"{self.name}: every action's key and CloudEvents headers",
                  len(raw) == len(got) and not bad,
                  f"{len(raw)} records" + (f"; first bad {bad[0]}" if bad else ""))


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
    ap.add_argument("--fuzz", type=int, default=3000,
                    help="random inputs over 60 keys (0: none)")
    ap.add_argument("--only", choices=("examples", "workload"),
                    help="examples: only the examples; workload: the workload and fuzz")
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
    cases = []
    if a.only != "workload":
        # every example in one input (their keys differ), with 02's catalog
        env = kt.Env(binary, "ks-examples")
        inp = env.path("examples.jsonl")
        with open(inp, "wb") as out:
            for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.jsonl"))):
                with open(path, "rb") as f:
                    out.write(f.read().rstrip(b"\n") + b"\n")
        catalogs = glob.glob(os.path.join(ROOT, "examples", "*.catalog.json"))
        cases.append(Case(rep, binary, "examples", inp, catalogs[0] if catalogs else None))
    if a.only != "examples":
        env = kt.Env(binary, "ks-gen")
        inp, catalog = kt.gen_workload(env, a.migrations, a.seed)
        cases.append(Case(rep, binary, f"workload-{a.migrations}-seed{a.seed}", inp,
                          catalog, halves=True))
        if a.fuzz:
            env = kt.Env(binary, "ks-fuzz")
            inp, catalog = env.path("fuzz.jsonl"), env.path("fuzz.catalog.json")
            fuzz_input(inp, catalog, a.fuzz, a.seed)
            cases.append(Case(rep, binary, f"fuzz-{a.fuzz}-seed{a.seed}", inp, catalog))
    cases = [c for c in cases if c.ok]
    # side by side, each on its own topics
    try:
        for c in cases:
            c.start()
        while True:
            running = [c for c in cases if c.proc]
            if not running:
                break
            for c in running:
                c.stop(rep, timeout=600)
                c.proc = None
                if c.more() and c.produce(rep):
                    c.start()
    finally:  # no JVM left behind, whatever happened
        for c in cases:
            if c.proc and c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
    for c in cases:
        rep.note(f"{c.name}: {c.n_in} input records")
        c.check(rep, counts)
    print_counts(counts)
    rep.finish()


if __name__ == "__main__":
    main()
