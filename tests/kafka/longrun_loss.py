#!/usr/bin/env python3
"""Long-run reproducer for a lost input (not part of the test command; see
docs/testing.md, "Hunting a lost input").

Round after round, each on fresh topics: a seeded workload
(scripts/gen-workload) is put on the events topic with `cspflow produce`
(and the lines it cannot encode as raw bytes, as the Kafka tests do), then
checked independently of cspflow: the stdlib client of kafkatest.py reads
the topic back (read_committed Fetch) and, per key, the events must be
exactly the input lines, each once, in order, all on the key's partition
(each record's event id is read from its Avro bytes). With --worker, the
worker path follows: `cspflow run` (one worker, two in a group with one
stopped half-way, or one killed with SIGKILL and restarted) and then the
actions must equal `cspflow simulate` per key, and the audit topic must
hold one record per input offset.

On a failure it says which record: its key, event id and input line; on
which partition it should be; whether it is on the events topic (and, with
--console, what Kafka's own console consumer prints for that partition);
whether the worker audited it; the workers' summaries (skipped_offsets) and
the worker log lines that name its partition. The round's scratch dir
(inputs, cspflow logs, librdkafka debug logs with --debug) is kept.

usage: longrun_loss.py CSPFLOW [--minutes M] [--rounds N] [--migrations N]
                       [--seed S] [--load K] [--worker none|single|group|crash]
                       [--mode eos|at-least-once] [--debug CONTEXTS]
                       [--console] [--keep-going]

Needs CSPFLOW_BOOTSTRAP (a broker of scripts/kafka-local). --load K (at most
2) runs K busy loops beside it for the whole run. Exit 0 when every round
passed, 1 when one failed.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


class LossEnv(kt.Env):
    """kt.Env whose `cspflow produce` logs to a file (and with --debug
    turns on librdkafka's debug contexts)."""

    def __init__(self, *a, debug=None, **kw):
        super().__init__(*a, **kw)
        self.debug = debug
        self.n_produce = 0

    def produce(self, path, topic=None, extra=()):
        self.n_produce += 1
        log = self.path(f"produce-{self.n_produce}.log")
        more = list(extra)
        if self.debug:
            more += ["--set", "log.level=debug",
                     "--set", f"kafka.debug={self.debug}"]
        with open(log, "w") as f:
            p = subprocess.run(self.cmd("produce", "--config", self.config,
                                        "--topic", topic or self.topics["events"],
                                        *more, path),
                               stdout=subprocess.DEVNULL, stderr=f,
                               timeout=900)
        with open(log, errors="replace") as f:
            tail = f.read()[-3000:]
        return p.returncode, tail


def event_id_of(value):
    """The event id in an event record's Avro bytes (single-object or
    Confluent framing; the fields start with type, then event_id), or
    None."""
    if not value:
        return None
    if value[:2] == b"\xc3\x01":
        pos = 10
    elif value[:1] == b"\x00":
        pos = 5
    else:
        return None
    try:
        for i in range(2):
            n, pos = kt._read_varint(value, pos)
            if n < 0 or pos + n > len(value):
                return None
            if i == 1:
                return value[pos:pos + n].decode()
            pos += n
    except (IndexError, UnicodeDecodeError):
        return None
    return None


def expected_inputs(path):
    """Per key (bytes): [(line number, event id)] in file order, for the
    lines that are JSON events with a key; and the count of other lines."""
    want, other = {}, 0
    with open(path, "rb") as f:
        for no, line in enumerate(f.read().splitlines(), 1):
            if not line.strip():
                continue
            k = kt.raw_key(line)
            try:
                eid = json.loads(line).get("event_id")
            except ValueError:
                eid = None
            if k is None or not isinstance(eid, str):
                other += 1
                continue
            want.setdefault(k, []).append((no, eid))
    return want, other


def check_events(rep, env, client, path, label):
    """The events topic against the input file. Returns {key: partition}
    and {(partition, offset): (key, event id)}."""
    want, other = expected_inputs(path)
    topic = env.topics["events"]
    n_parts = len(client.partitions(topic))
    got = client.fetch_committed(topic)
    by_key, where, at = {}, {}, {}
    for p, recs in got.items():
        for off, k, v, _h in recs:
            eid = event_id_of(v)
            if eid is None:  # a raw line: its id is not in Avro bytes
                try:
                    eid = json.loads(v).get("event_id")
                except (ValueError, TypeError, AttributeError):
                    eid = None
            by_key.setdefault(k, []).append((p, off, eid))
            at[(p, off)] = (k, eid)
    n_got = sum(len(r) for r in got.values())
    n_want = sum(len(v) for v in want.values()) + other
    rep.check(f"{label}: events topic holds one record per input line",
              n_got == n_want, f"{n_got} records, {n_want} lines")
    bad = []
    for k, w in want.items():
        g = by_key.get(k, [])
        ids_w = [eid for _no, eid in w]
        ids_g = [eid for _p, _o, eid in g]
        parts = {p for p, _o, _e in g}
        want_p = kt.default_partition(k, n_parts)
        if ids_g == ids_w and parts <= {want_p}:
            continue
        i = next((i for i in range(min(len(ids_g), len(ids_w)))
                  if ids_g[i] != ids_w[i]), min(len(ids_g), len(ids_w)))
        missing = [(no, eid) for no, eid in w if eid not in ids_g]
        extra = [x for x in g if x[2] not in ids_w]
        dups = [e for e in set(ids_g) if ids_g.count(e) > ids_w.count(e)]
        bad.append(k)
        rep.note(f"{label}: key {k.decode()} (partition {want_p} by the "
                 f"default partitioner, seen on {sorted(parts)}): first "
                 f"difference at #{i}; missing (line, event id) {missing[:5]}; "
                 f"extra {extra[:5]}; doubled {dups[:5]}")
        rep.note(f"     input:  {ids_w}")
        rep.note(f"     topic:  {[(p, o, e) for p, o, e in g]}")
    rep.check(f"{label}: per key, the events topic holds the input lines "
              f"once each, in order, on one partition", not bad,
              f"{len(want)} keys" if not bad else f"{len(bad)} keys differ")
    return {k: kt.default_partition(k, n_parts) for k in want}, at, bad


def console_dump(env, topic, partition, key):
    """Kafka's own console consumer on one partition (read_committed): the
    lines that carry key, with offsets."""
    out = env.path(f"console-{partition}.txt")
    cmd = [os.path.join(kt.ROOT, "scripts", "kafka-local"), "run",
           "kafka.tools.ConsoleConsumer", "--bootstrap-server", env.bootstrap,
           "--topic", topic, "--partition", str(partition), "--offset",
           "earliest", "--isolation-level", "read_committed",
           "--timeout-ms", "15000", "--property", "print.offset=true",
           "--property", "print.key=true"]
    with open(out, "wb") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, timeout=300)
    with open(out, "rb") as f:
        lines = f.read().splitlines()
    return out, len(lines), [l[:160] for l in lines if key in l]


def worker_lines(env, partition, n=40):
    """Worker log lines that name the partition or say something is wrong."""
    keep = []
    for log in env.logs:
        try:
            with open(log, errors="replace") as f:
                for l in f:
                    low = l.lower()
                    if (f"[{partition}]" in l or f" {partition} " in l
                            or "warn" in low or "error" in low
                            or "abort" in low or "assigned" in low
                            or "revoked" in low or "lost" in low):
                        keep.append(f"{os.path.basename(log)}: {l.rstrip()}")
        except OSError:
            pass
    return keep[-n:]


def run_single(env, catalog, _args, _rng):
    w = env.run_worker("1", catalog=catalog, idle_exit=5, timeout=1200)
    return [w]


def run_group(env, catalog, args, rng):
    """Two workers in one group; A is stopped half-way through the input
    (SIGTERM), B finishes alone."""
    a = env.start_worker("A", catalog=catalog, txn_id=f"{env.prefix}.a")
    b = env.start_worker("B", catalog=catalog, txn_id=f"{env.prefix}.b",
                         idle_exit=None)
    c = kt.KafkaClient(env.bootstrap)
    try:
        total = sum(c.end_offsets(env.topics["events"]).values())
        deadline = time.monotonic() + 600
        target = rng.uniform(0.2, 0.7) * total
        while time.monotonic() < deadline and a.alive():
            if kt.committed_progress(c, env.group, env.topics["events"])[0] >= target:
                break
            time.sleep(0.2)
    finally:
        c.close()
    a.signal(signal.SIGTERM)
    a.wait(120)
    kt.wait_caught_up(env, timeout=900)
    b.signal(signal.SIGTERM)
    b.wait(120)
    return [a, b]


def run_crash(env, catalog, args, rng):
    """One transactional id, SIGKILL at random moments, then a run to idle."""
    ws = []
    c = kt.KafkaClient(env.bootstrap)
    try:
        total = sum(c.end_offsets(env.topics["events"]).values())
        for i in range(args.kills):
            w = env.start_worker(f"k{i + 1}", catalog=catalog,
                                 txn_id=f"{env.prefix}.worker")
            target = rng.uniform(0.05, 0.8) * total
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and w.alive():
                done = sum(c.end_offsets(env.topics["audit"]).values())
                if done >= target:
                    break
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.3))
            w.kill()
    finally:
        c.close()
    ws.append(env.run_worker("final", catalog=catalog,
                             txn_id=f"{env.prefix}.worker", idle_exit=6,
                             timeout=1200))
    return ws


RUNNERS = {"single": run_single, "group": run_group, "crash": run_crash}


def check_worker(rep, env, client, catalog, inp, sim, part_of, at, args, rng,
                 label):
    ws = RUNNERS[args.worker](env, catalog, args, rng)
    for w in ws:
        if w.rc is not None and w.rc not in (0, -9):
            rep.check(f"{label}: worker {os.path.basename(w.log)} exits 0",
                      False, f"exit {w.rc}")
    for w in ws:
        if w.summary:
            rep.note(f"{label}: {os.path.basename(w.log)}: {json.dumps(w.summary)}")
    want = kt.actions_of_simulate(sim)
    got = env.tail("actions", idle_exit=5)
    n_bad = len(rep.failed)
    kt.compare_per_key(rep, f"{label}: actions", want, got,
                       allow_duplicates=(args.mode != "eos"))
    # One audit record per input offset: which inputs has no worker handled?
    audit = [json.loads(l) for l in env.tail("audit", idle_exit=5)]
    seen = {(a.get("source_partition"), a.get("source_offset")) for a in audit}
    unaudited = sorted(k for k in at if k not in seen)
    rep.check(f"{label}: audit: every input handled", not unaudited,
              f"{len(at)} inputs, {len(seen)} audited" if not unaudited else
              f"{len(unaudited)} inputs without an audit record: " +
              ", ".join(f"[{p}]@{o} {at[(p, o)][0].decode()} {at[(p, o)][1]}"
                        for p, o in unaudited[:10]))
    if len(rep.failed) > n_bad:
        parts = sorted({p for p, _o in unaudited}) or sorted(set(part_of.values()))
        for p in parts[:3]:
            rep.note(f"{label}: worker log lines about partition {p} or "
                     f"trouble:")
            for l in worker_lines(env, p):
                rep.note("    " + l)


def one_round(rep, args, i, rng):
    seed = args.seed + i
    label = f"round {i + 1} (seed {seed})"
    env = LossEnv(args.binary, f"loss{i + 1}", args.mode, debug=args.debug,
                  partitions=args.partitions)
    n_failed = len(rep.failed)
    inp, catalog = kt.gen_workload(env, args.migrations, seed)
    sim = env.simulate(inp, catalog)
    t0 = time.monotonic()
    n_in = kt.produce_input(rep, env, inp, sim, label)
    client = kt.KafkaClient(env.bootstrap)
    try:
        if n_in is not None:
            rep.note(f"{label}: {n_in} records produced in "
                     f"{time.monotonic() - t0:.1f}s, topics {env.prefix}.*")
            part_of, at, bad = check_events(rep, env, client, inp, label)
            if bad and args.console:
                for k in bad[:3]:
                    out, n, hits = console_dump(env, env.topics["events"],
                                                part_of[k], k)
                    rep.note(f"{label}: console consumer, partition "
                             f"{part_of[k]}: {n} records ({out}); with key "
                             f"{k.decode()}: {len(hits)}")
            if args.worker != "none" and not bad:
                check_worker(rep, env, client, catalog, inp, sim, part_of, at,
                             args, rng, label)
    finally:
        client.close()
    ok = len(rep.failed) == n_failed
    if ok:
        kt._SCRATCH.remove(env.dir)
        shutil.rmtree(env.dir, ignore_errors=True)
        delete_topics(env)
    else:
        rep.note(f"{label}: kept {env.dir}")
    return ok


def delete_topics(env):
    """The round's topics go (DeleteTopics v1), so long runs do not fill
    the broker's disk; failures are only noted."""
    try:
        c = kt.KafkaClient(env.bootstrap)
        names = list(env.topics.values())
        body = kt.struct.pack(">i", len(names))
        for n in names:
            body += kt._str(n)
        body += kt.struct.pack(">i", 30000)
        c._call(20, 1, body)
        c.close()
    except (OSError, RuntimeError) as e:
        print(f"     could not delete {env.prefix}.*: {e}")


def start_load(k):
    procs = []
    for _ in range(min(k, 2)):
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "while True: pass"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--rounds", type=int, default=0, help="0: until --minutes")
    ap.add_argument("--migrations", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20260301)
    ap.add_argument("--load", type=int, default=0)
    ap.add_argument("--worker", choices=["none", "single", "group", "crash"],
                    default="none")
    ap.add_argument("--mode", choices=["eos", "at-least-once"], default="eos")
    ap.add_argument("--kills", type=int, default=4)
    ap.add_argument("--partitions", type=int, default=None,
                    help="topics.partitions (default: cspflow's, 12); more "
                         "partitions keep a new topic's logs missing on the "
                         "broker for longer")
    ap.add_argument("--debug", default=None,
                    help="librdkafka debug contexts for cspflow produce, e.g. "
                         "msg,eos,protocol (large logs)")
    ap.add_argument("--console", action="store_true",
                    help="on a missing record, dump its partition with "
                         "Kafka's console consumer")
    ap.add_argument("--keep-going", action="store_true")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    import random
    rng = random.Random(args.seed)
    rep = kt.Report(f"longrun_loss ({args.worker}, {args.mode})")
    load = start_load(args.load)
    end = time.monotonic() + args.minutes * 60
    i = passed = 0
    try:
        while time.monotonic() < end and (not args.rounds or i < args.rounds):
            ok = one_round(rep, args, i, rng)
            passed += ok
            i += 1
            rep.note(f"round {i}: {'ok' if ok else 'FAILED'} "
                     f"({passed}/{i} passed, {time.monotonic() - rep.t0:.0f}s)")
            if not ok and not args.keep_going:
                break
    finally:
        for p in load:
            p.kill()
            p.wait()
    rep.note(f"{i} rounds, {passed} passed")
    rep.finish()


if __name__ == "__main__":
    main()
