"""Fencing: two workers started with the same transactional identity.

A generated workload (scripts/gen-workload --migrations 800) is produced.
Worker A (`cspflow run --transactional-id T`) starts; once it has handled a
share of the input (audit log end, 15-35 %), worker B starts with the same
--group and the same T. B's init_transactions fences A: A's next
transactional request fails with the producer fenced, and A must stop
cleanly: exit 1, naming the fencing and T on stderr, having committed
nothing after B took over (A's and B's committed inputs add up to the
input). B must carry on alone: every input committed,
exit 0 on SIGTERM. Then the read_committed actions equal `cspflow
simulate` of the input exactly (none doubled, none missing), the DLQ holds
simulate's rejections and the audit topic one record per input.

Only eos mode has a transactional identity: this test is registered for
that mode alone (the `# modes:` line below, read by tests/CMakeLists.txt).

Environment: CSPFLOW_FENCING_SEED (20260402).

usage: test_fencing.py CSPFLOW [--mode eos]
"""
# modes: eos
import json
import os
import random
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


def audit_end(client, env):
    return sum(client.end_offsets(env.topics["audit"]).values())


def main():
    binary, _rest, mode = kt.args()
    if mode != "eos":
        sys.exit("test_fencing.py: only --mode eos has a transactional identity")
    seed = int(os.environ.get("CSPFLOW_FENCING_SEED", "20260402"))
    rep = kt.Report("kafka fencing (eos)")
    rng = random.Random(seed)
    env = kt.Env(binary, "fencing", mode, extra=["batch.max.records=100"])
    inp, catalog = kt.gen_workload(env, 800, seed)
    sim = env.simulate(inp, catalog)
    want, want_rej = kt.actions_of_simulate(sim), kt.rejections_of_simulate(sim)
    n_in = kt.produce_input(rep, env, inp, sim, "workload")
    if n_in is None:
        rep.finish()
    tid = f"{env.prefix}.worker"
    rep.note(f"seed {seed}: {n_in} inputs, simulate: {len(want)} actions, "
             f"{len(want_rej)} rejections; transactional.id {tid}")

    client = kt.KafkaClient(env.bootstrap)
    a = env.start_worker("A", catalog=catalog, txn_id=tid)
    target = int(rng.uniform(0.15, 0.35) * n_in)
    deadline = time.monotonic() + 120
    cur = 0
    while time.monotonic() < deadline and a.alive():
        cur = audit_end(client, env)
        if cur >= target:
            break
        time.sleep(0.02)
    done_at_b, _ = kt.committed_progress(client, env.group, env.topics["events"])
    ok = rep.check("A is running and has work left when B starts",
                   a.alive() and done_at_b < n_in,
                   f"audit log end {cur}, committed {done_at_b}/{n_in}")
    b = env.start_worker("B", catalog=catalog, txn_id=tid)
    t_b = time.monotonic()
    a.wait(90)
    a_after = time.monotonic() - t_b
    last = [m for lvl, comp, m in kt.log_messages(a.log)
            if lvl == "error" and comp == "run"]
    rep.check("A stops with exit 1", a.rc == 1,
              f"exit {a.rc} {a_after:.1f}s after B started")
    rep.check("A says it was fenced by a newer instance with the same "
              "transactional.id", bool(last) and "fenced" in last[-1]
              and tid in last[-1], last[-1] if last else "no error logged by run")
    rep.note(f"A's summary: {json.dumps(a.summary)}")

    caught = False
    deadline = time.monotonic() + 240
    while not caught and b.alive() and time.monotonic() < deadline:
        caught = kt.wait_caught_up(env, timeout=2)
    rep.check("B carries on alone and commits every input", caught and b.alive(),
              f"caught up: {caught}, B alive: {b.alive()}")
    b.signal(signal.SIGTERM)
    b.wait(60)
    rep.check("B exits 0 on SIGTERM", b.rc == 0,
              f"exit {b.rc}, summary {json.dumps(b.summary)}")
    rep.note(f"B's summary: {json.dumps(b.summary)}")
    if ok and a.summary and b.summary:
        na, nb = a.summary["consumed"], b.summary["consumed"]
        rep.check("every input committed by exactly one of A and B (their "
                  "summaries count committed inputs)", na + nb == n_in,
                  f"A {na} + B {nb} = {na + nb}, {n_in} inputs")

    got = env.tail("actions", idle_exit=4)
    kt.compare_per_key(rep, "actions", want, got)
    rep.check("no action doubled", len(got) == len(set(got)),
              f"{len(got) - len(set(got))} duplicates")
    dlq = env.tail("dlq")
    rep.check("DLQ: exactly simulate's rejections", len(dlq) == len(want_rej),
              f"{len(dlq)} DLQ records, {len(want_rej)} rejections")
    end = client.end_offsets(env.topics["events"])
    audit = [json.loads(l) for l in env.tail("audit", idle_exit=4)]
    coords = sorted((x.get("source_partition"), x.get("source_offset")) for x in audit)
    want_coords = sorted((p, o) for p, e in end.items() for o in range(e))
    rep.check("audit: exactly one record per input", coords == want_coords,
              f"{len(coords)} audit records, {len(want_coords)} inputs")
    client.close()
    if rep.failed:
        env.dump_logs(40)
    rep.finish()


if __name__ == "__main__":
    main()
