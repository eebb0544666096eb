"""Two workers in one consumer group split the partitions; when one stops,
the other takes over its partitions and their state.

A generated workload is cut in two halves (events of one key keep their
order). Worker A and worker B run with the same --group and different
--transactional-id. The first record goes on the topic (creating the
topics), then the group must be stable with both members holding
partitions (DescribeGroups) and together all of them; only then is the rest
of the first half produced, so neither worker can drain it before the other
joins. Once every input is committed, A gets SIGTERM and must exit 0.
Then the second half is produced: B alone must hold every partition, and
finish the migrations A started (their state comes from the state topic).
In the end the actions equal `cspflow simulate` of the whole input
exactly, both workers consumed something, and the DLQ holds simulate's
rejections.

usage: test_group.py CSPFLOW [--mode eos|at-least-once]
"""
import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


def wait_members(client, group, n, topic, n_parts, timeout=90):
    """Waits for a Stable group of n members holding every partition of
    topic between them; returns their assignments ({member: [partitions]})
    or the last seen state."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        state, members = client.group_members(group)
        a = {m: v.get(topic, []) for m, v in members.items()}
        last = (state, a)
        got = sorted(p for v in a.values() for p in v)
        if state == "Stable" and len(a) == n and got == list(range(n_parts)):
            return a, last
        time.sleep(0.3)
    return None, last


def main():
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"kafka two workers in one group ({mode})")
    env = kt.Env(binary, f"group-{mode}", mode)
    inp, catalog = kt.gen_workload(env, 400, 4242)
    with open(inp) as f:
        lines = f.read().splitlines()
    halves = [lines[:len(lines) // 2], lines[len(lines) // 2:]]
    paths = []
    for i, h in enumerate(halves):
        paths.append(env.path(f"half{i + 1}.jsonl"))
        with open(paths[-1], "w") as f:
            f.write("\n".join(h) + "\n")
    sim = env.simulate(inp, catalog)
    want, want_rej = kt.actions_of_simulate(sim), kt.rejections_of_simulate(sim)
    rep.note(f"{len(lines)} inputs in two halves of {len(halves[0])} and "
             f"{len(halves[1])}; simulate: {len(want)} actions, {len(want_rej)} rejections")

    # The topics exist before the workers start (the first record creates
    # them); the rest of the first half is produced only once both workers
    # hold partitions, so neither can drain it alone before the other joins.
    first = paths[0] + ".head"
    with open(first, "w") as f:
        f.write(halves[0][0] + "\n")
    rest = paths[0] + ".rest"
    with open(rest, "w") as f:
        f.write("\n".join(halves[0][1:]) + "\n")
    if kt.produce_input(rep, env, first, env.simulate(first, catalog),
                        "first record") is None:
        rep.finish()
    c = kt.KafkaClient(env.bootstrap)
    topic = env.topics["events"]
    n_parts = len(c.partitions(topic))

    a = env.start_worker("A", catalog=catalog, txn_id=f"{env.prefix}.a")
    b = env.start_worker("B", catalog=catalog, txn_id=f"{env.prefix}.b")
    assign, last = wait_members(c, env.group, 2, topic, n_parts)
    ok = rep.check("two members share the partitions, none empty",
                   assign is not None and all(assign.values()),
                   f"{ {m[-8:]: v for m, v in assign.items()} }" if assign else
                   f"last seen: {last}")
    if kt.produce_input(rep, env, rest, env.simulate(rest, catalog),
                        "rest of the first half") is None:
        a.signal(signal.SIGTERM)
        b.signal(signal.SIGTERM)
        rep.finish()
    rep.check("first half: every input committed", kt.wait_caught_up(env))

    a.signal(signal.SIGTERM)
    a.wait(60)
    rep.check("worker A exits 0 on SIGTERM", a.rc == 0, f"exit {a.rc}")
    if not ok:
        b.signal(signal.SIGTERM)
        b.wait(60)
        env.dump_logs()
        rep.finish()
    a_parts = []
    # A's partitions: the member whose client is gone. Both members share
    # the client id, so find A's by elimination once B is alone.
    if kt.produce_input(rep, env, paths[1], env.simulate(paths[1], catalog),
                        "second half") is None:
        b.signal(signal.SIGTERM)
        b.wait(60)
        rep.finish()
    assign2, last = wait_members(c, env.group, 1, topic, n_parts)
    rep.check("after A stopped, B alone holds every partition", assign2 is not None,
              f"last seen: {last}")
    if assign2:
        b_member = next(iter(assign2))
        a_parts = sorted(p for m, v in assign.items() if m != b_member for p in v)
    rep.check("second half: every input committed", kt.wait_caught_up(env))
    b.signal(signal.SIGTERM)
    b.wait(60)
    rep.check("worker B exits 0 on SIGTERM", b.rc == 0, f"exit {b.rc}")

    sa, sb = a.summary or {}, b.summary or {}
    rep.note(f"A: {json.dumps(sa)}")
    rep.note(f"B: {json.dumps(sb)}")
    rep.check("both workers consumed records",
              sa.get("consumed", 0) > 0 and sb.get("consumed", 0) > 0,
              f"A {sa.get('consumed')}, B {sb.get('consumed')}")
    n_in = sum(c.end_offsets(topic).values())
    rep.check("A + B consumed every input",
              sa.get("consumed", 0) + sb.get("consumed", 0) >= n_in,
              f"{sa.get('consumed', 0)} + {sb.get('consumed', 0)} >= {n_in}")

    # Keys on A's partitions with events in both halves: their state moved.
    events = c.fetch_committed(topic)
    part_of = {}
    for p, recs in events.items():
        for _o, k, _v, _h in recs:
            if k:
                part_of[k.decode()] = p
    keys1 = {kt.raw_key(l.encode()) for l in halves[0]}
    keys2 = {kt.raw_key(l.encode()) for l in halves[1]}
    moved = [k for k in keys1 & keys2 if k and part_of.get(k.decode()) in a_parts]
    rep.check("some migrations of A's partitions continued on B", len(moved) > 0,
              f"{len(moved)} migrations on A's partitions {a_parts} had events "
              f"in both halves")

    got = env.tail("actions")
    kt.compare_per_key(rep, "actions", want, got)
    dlq = env.tail("dlq")
    rep.check("DLQ: exactly simulate's rejections", len(dlq) == len(want_rej),
              f"{len(dlq)} DLQ records, {len(want_rej)} rejections")
    c.close()
    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
