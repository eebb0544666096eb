"""Crash test: the worker killed with SIGKILL at random moments loses and
doubles nothing.

A generated workload (scripts/gen-workload --migrations 2000, at least
15,000 events, with its offer catalog) is produced to the events topic.
The worker (`cspflow run`, one transactional id throughout) is started and
killed with SIGKILL on a seeded plan (most kills once it has handled a
random share of the workload, a few during its start-up; see the plan in
main()), then restarted. After the last kill it runs until idle
(--idle-exit). Then:

- eos: the read_committed actions topic equals `cspflow simulate` of the
  same input exactly: per key, the same records in the same order, none
  missing, none doubled; the DLQ holds exactly simulate's rejections.
- at-least-once: the same once repeated records are removed; every repeat
  must be byte-identical to a record of its key in simulate's output (ids
  are deterministic), and the test prints how many there were.

A second, independent reader (the stdlib Kafka client of kafkatest.py,
Fetch with read_committed) checks the same topic's record count and ids
(CloudEvents header ce_id) partition by partition against `cspflow tail`.

Environment: CSPFLOW_CRASH_SEED (default 20260301), CSPFLOW_CRASH_KILLS (6),
CSPFLOW_CRASH_MIGRATIONS (2000).

usage: test_crash.py CSPFLOW [--mode eos|at-least-once]
"""
import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


def audit_end(client, env):
    return sum(client.end_offsets(env.topics["audit"]).values())


def committed_total(client, env):
    return kt.committed_progress(client, env.group, env.topics["events"])[0]


def main():
    binary, _rest, mode = kt.args()
    seed = int(os.environ.get("CSPFLOW_CRASH_SEED", "20260301"))
    kills = int(os.environ.get("CSPFLOW_CRASH_KILLS", "8"))
    migrations = int(os.environ.get("CSPFLOW_CRASH_MIGRATIONS", "2000"))
    rep = kt.Report(f"kafka crash test ({mode})")
    # Smaller transactions than the default 500 records: more commits, so
    # the kills spread over more of them.
    env = kt.Env(binary, f"crash-{mode}", mode, extra=["batch.max.records=100"])
    rng = random.Random(seed)
    rep.note(f"seed {seed}, {kills} kills, {migrations} migrations, "
             f"topics {env.prefix}.*")

    inp, catalog = kt.gen_workload(env, migrations, seed)
    with open(inp, "rb") as f:
        n_lines = sum(1 for _ in f)
    rep.check("workload has at least 15,000 events", n_lines >= 15000 or migrations < 2000,
              f"{n_lines} lines")
    sim = env.simulate(inp, catalog)
    want = kt.actions_of_simulate(sim)
    want_rej = kt.rejections_of_simulate(sim)
    rep.note(f"simulate: {len(want)} actions, {len(want_rej)} rejections")

    n_in = kt.produce_input(rep, env, inp, sim, "workload")
    if n_in is None:
        rep.finish()

    client = kt.KafkaClient(env.bootstrap)
    txn_id = f"{env.prefix}.worker"
    killed = 0
    t_start = time.monotonic()
    # The kill schedule, from the seed: CSPFLOW_CRASH_KILLS kills, two of
    # them (when there are 7 or more) at a random moment of the start-up
    # (joining the group, fencing the previous incarnation, restoring
    # state), the others once the worker has handled a random share of the
    # workload (audit topic), plus a random delay of up to 0.3 s so they
    # land anywhere inside a transaction.
    n_early = 2 if kills >= 7 else 0
    targets = sorted(int(rng.uniform(0.05, 0.7) * n_in) for _ in range(kills - n_early))
    plan = [("at", t) for t in targets]
    for _ in range(n_early):
        plan.insert(rng.randrange(len(plan) + 1), ("early", rng.uniform(0.0, 2.5)))
    busy_kills = 0
    for i, (kind, arg) in enumerate(plan):
        w = env.start_worker(f"k{i + 1}", catalog=catalog, txn_id=txn_id)
        t0 = time.monotonic()
        if kind == "early":
            time.sleep(arg)
            what = f"start-up, +{arg:.2f}s"
        else:
            # Progress is the audit topic's log end (one record per input
            # handled, committed or not): the kill comes once this
            # incarnation has written audit records of its own (more than
            # the markers of an aborted transaction) and the log end has
            # reached the target.
            start = audit_end(client, env)
            deadline = time.monotonic() + 180
            cur = start
            while time.monotonic() < deadline and w.alive():
                cur = audit_end(client, env)
                if cur - start >= 50 and cur >= arg:
                    break
                time.sleep(0.02)
            extra = rng.uniform(0.0, 0.3)
            time.sleep(extra)
            what = (f"audit log end {cur}, target {arg}, +{extra:.2f}s")
            busy_kills += cur - start >= 50 and committed_total(client, env) < n_in
        if not w.alive():
            w.wait()
            rep.check(f"worker incarnation {i + 1} still running at its kill",
                      False, f"it exited by itself with {w.rc}")
            env.dump_logs()
            break
        w.kill()
        killed += 1
        hw = sum(client.end_offsets(env.topics["actions"]).values())
        lso = sum(client.end_offsets(env.topics["actions"], committed=True).values())
        done = committed_total(client, env)
        rep.note(f"kill {i + 1}: SIGKILL {time.monotonic() - t0:.2f}s after start "
                 f"({what}); then: events committed {done}/{n_in}, actions log "
                 f"end {hw}, stable {lso}")
    rep.check("worker killed with SIGKILL at least 5 times while working",
              killed >= 5 and busy_kills >= 5,
              f"{killed} kills, {busy_kills} of them while the worker was handling "
              f"inputs, {killed - busy_kills} during start-up or idle")

    w = env.run_worker("final", catalog=catalog, txn_id=txn_id, idle_exit=6,
                       timeout=1200)
    rep.check("final run: cspflow run --idle-exit exits 0", w.rc == 0,
              f"exit {w.rc}, summary {json.dumps(w.summary)}")
    rep.note(f"kill/restart cycles and final run: {time.monotonic() - t_start:.1f}s")
    done, total = kt.committed_progress(client, env.group, env.topics["events"])
    rep.check("group offsets committed up to the end of the events topic",
              done == total, f"{done}/{total}")
    end = client.end_offsets(env.topics["events"])

    got = env.tail("actions", idle_exit=5)
    dups = kt.compare_per_key(rep, "actions", want, got,
                              allow_duplicates=(mode != "eos"))
    if mode == "eos":
        rep.check("eos: no duplicate record", len(got) == len(set(got)),
                  f"{len(got) - len(set(got))} duplicates")
    else:
        rep.note(f"at-least-once: {dups} duplicate records (each identical "
                 f"to an earlier record of its key, hence to one of simulate)")
    want_set = set(want)
    rep.check("every record read is one simulate emitted",
              all(l in want_set for l in got),
              f"{sum(1 for l in got if l not in want_set)} unknown records")
    rep.note(f"compared: {len(want)} actions from simulate over "
             f"{len(kt.by_key(want))} keys, {len(got)} records read back")

    dlq = env.tail("dlq")
    if mode == "eos":
        rep.check("DLQ: exactly simulate's rejections", len(dlq) == len(want_rej),
                  f"{len(dlq)} DLQ records, {len(want_rej)} rejections")
    else:
        rep.check("DLQ: at least simulate's rejections", len(dlq) >= len(want_rej),
                  f"{len(dlq)} DLQ records, {len(want_rej)} rejections")

    # Every input exactly once in the audit topic (eos), at least once
    # (at-least-once).
    audit = [json.loads(l) for l in env.tail("audit", idle_exit=5)]
    coords = [(a.get("source_partition"), a.get("source_offset")) for a in audit]
    want_coords = {(p, o) for p, e in end.items() for o in range(e)}
    if mode == "eos":
        rep.check("audit: exactly one record per input", sorted(coords) ==
                  sorted(want_coords), f"{len(coords)} audit records, "
                  f"{len(set(coords))} distinct inputs, {len(want_coords)} inputs")
    else:
        rep.check("audit: every input at least once", set(coords) == want_coords,
                  f"{len(coords)} audit records ({len(coords) - len(set(coords))} "
                  f"repeats), {len(set(coords))} distinct inputs, "
                  f"{len(want_coords)} inputs")

    # Independent read_committed reader: same count and ids, per partition,
    # and CloudEvents headers that agree with the record.
    raw = client.fetch_committed(env.topics["actions"])
    hdrs = [{k: (v or b"").decode() for k, v in h}
            for p in sorted(raw) for (_o, _k, _v, h) in raw[p]]
    ids_fetch = [h.get("ce_id") for h in hdrs]
    ids_tail = [json.loads(l)["event_id"] for l in got]
    rep.check("own read_committed fetch: same records as cspflow tail",
              ids_fetch == ids_tail,
              f"{len(ids_fetch)} fetched, {len(ids_tail)} tailed")
    bad_ce = [h for h, l in zip(hdrs, got)
              if h.get("ce_subject") != kt.key_of(l) or
              not h.get("ce_type", "").endswith("." + json.loads(l)["type"]) or
              h.get("ce_specversion") != "1.0"]
    rep.check("CloudEvents headers: ce_specversion 1.0, ce_subject = key, ce_type "
              "ends with the type", not bad_ce and len(hdrs) == len(got),
              f"{len(bad_ce)} records disagree" + (f", first {bad_ce[0]}" if bad_ce else ""))
    client.close()
    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
