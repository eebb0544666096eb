"""Broker faults: the broker killed with SIGKILL and restarted, and the
broker paused with SIGSTOP for longer than the worker's transaction
timeout and resumed, both while the worker is handling a workload. The
worker (one `cspflow run`, never restarted) must recover on its own.

The test starts a broker of its own with scripts/kafka-local (it kills and
pauses it), in /tmp/cspflow-faults-<pid>, on the ports
CSPFLOW_FAULTS_KAFKA_PORT (29300) and CSPFLOW_FAULTS_KAFKA_CONTROLLER_PORT
(29301), and wipes it at the end. Like the other Kafka tests it skips
without CSPFLOW_BOOTSTRAP (fails under CSPFLOW_REQUIRE_ALL=1), though it
does not use that broker.

Per fault, on topics of its own: a generated workload (scripts/gen-workload
--migrations 500, with its catalog) is produced; the worker starts with
transaction.timeout.ms=10000 and batch.max.records=100; once it has handled
a random share (20-50 %) of the input (audit log end), the fault:

- kill: `kafka-local kill` (SIGKILL), down for 2 s, then `kafka-local
  start` on the same data;
- pause: `kafka-local pause` (SIGSTOP) for 15 s, over the 10 s transaction
  timeout, so the coordinator aborts the open transaction and bumps the
  producer's epoch; then `kafka-local resume`.

Then the same worker process must commit every input (group offsets at the
end of the events topic) and exit 0 on SIGTERM; and:

- eos: the read_committed actions equal `cspflow simulate` of the input
  exactly (per key, same records, same order, none doubled), the DLQ holds
  exactly simulate's rejections, the audit topic one record per input;
- at-least-once: the same once repeats are removed (each repeat identical
  to a record of simulate); the number of repeats is printed.

Environment: CSPFLOW_FAULTS_SEED (20260401), CSPFLOW_FAULTS_MIGRATIONS
(500), CSPFLOW_FAULTS (kill,pause: the faults to run).

usage: test_broker_faults.py CSPFLOW [--mode eos|at-least-once]
"""
import collections
import json
import os
import random
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

TXN_TIMEOUT_MS = 10000
PAUSE_S = 15.0
KILL_DOWN_S = 2.0


def audit_end(client, env):
    return sum(client.end_offsets(env.topics["audit"]).values())


def fault_run(rep, binary, mode, broker, fault, rng, migrations):
    env = kt.Env(binary, f"faults-{fault}-{mode}", mode,
                 extra=["batch.max.records=100",
                        f"transaction.timeout.ms={TXN_TIMEOUT_MS}"])
    inp, catalog = kt.gen_workload(env, migrations, rng.randrange(1 << 30))
    sim = env.simulate(inp, catalog)
    want, want_rej = kt.actions_of_simulate(sim), kt.rejections_of_simulate(sim)
    n_in = kt.produce_input(rep, env, inp, sim, fault)
    if n_in is None:
        return
    rep.note(f"{fault}: {n_in} inputs, simulate: {len(want)} actions, "
             f"{len(want_rej)} rejections; topics {env.prefix}.*")

    client = kt.KafkaClient(env.bootstrap)
    w = env.start_worker(fault, catalog=catalog, txn_id=f"{env.prefix}.worker")
    target = int(rng.uniform(0.2, 0.5) * n_in)
    deadline = time.monotonic() + 120
    cur = 0
    while time.monotonic() < deadline and w.alive():
        cur = audit_end(client, env)
        if cur >= target:
            break
        time.sleep(0.02)
    client.close()
    if not rep.check(f"{fault}: worker running when the fault comes", w.alive(),
                     f"audit log end {cur}, target {target}"):
        w.wait(5)
        env.dump_logs()
        return
    t0 = time.monotonic()
    if fault == "kill":
        broker.kill()
        time.sleep(KILL_DOWN_S)
        broker.start()
        what = f"SIGKILL, restarted after {time.monotonic() - t0:.1f}s"
    else:
        broker.pause()
        time.sleep(PAUSE_S)
        broker.resume()
        what = f"SIGSTOP for {time.monotonic() - t0:.1f}s"
    back = time.monotonic()
    rep.note(f"{fault}: {what}, at audit log end {cur} of {n_in} inputs")

    caught = False
    deadline = time.monotonic() + 240
    while not caught and w.alive() and time.monotonic() < deadline:
        caught = kt.wait_caught_up(env, timeout=2)
    recovered = time.monotonic() - back
    alive = w.alive()
    rep.check(f"{fault}: the same worker process committed every input",
              caught and alive,
              f"{recovered:.1f}s after the broker was back" if caught and alive
              else f"caught up: {caught}, worker alive: {alive}")
    w.signal(signal.SIGTERM)
    w.wait(60)
    rep.check(f"{fault}: worker exits 0 on SIGTERM", w.rc == 0,
              f"exit {w.rc}, summary {json.dumps(w.summary)}")
    told = [m for _lvl, comp, m in kt.log_messages(w.log)
            if comp in ("batch", "worker", "restore") and m.startswith(
                ("aborting", "the transaction was open", "lost ", "revoked ",
                 "assigned ", "restored "))]
    for m in told[:12]:
        rep.note(f"{fault}: worker: {m[:300]}")

    got = env.tail("actions", idle_exit=4)
    dups = kt.compare_per_key(rep, f"{fault}: actions", want, got,
                              allow_duplicates=(mode != "eos"))
    want_set = set(want)
    rep.check(f"{fault}: every record read is one simulate emitted",
              all(l in want_set for l in got),
              f"{sum(1 for l in got if l not in want_set)} unknown records")
    dlq = env.tail("dlq")
    client = kt.KafkaClient(env.bootstrap)
    end = client.end_offsets(env.topics["events"])
    client.close()
    audit = [json.loads(l) for l in env.tail("audit", idle_exit=4)]
    coords = [(a.get("source_partition"), a.get("source_offset")) for a in audit]
    want_coords = {(p, o) for p, e in end.items() for o in range(e)}
    if mode == "eos":
        rep.check(f"{fault}: eos: no duplicate action", len(got) == len(set(got)),
                  f"{len(got) - len(set(got))} duplicates")
        rep.check(f"{fault}: DLQ: exactly simulate's rejections",
                  len(dlq) == len(want_rej),
                  f"{len(dlq)} DLQ records, {len(want_rej)} rejections")
        rep.check(f"{fault}: audit: exactly one record per input",
                  sorted(coords) == sorted(want_coords),
                  f"{len(coords)} audit records, {len(want_coords)} inputs")
    else:
        rep.check(f"{fault}: DLQ: at least simulate's rejections",
                  len(dlq) >= len(want_rej),
                  f"{len(dlq)} DLQ records, {len(want_rej)} rejections")
        rep.check(f"{fault}: audit: every input at least once",
                  set(coords) == want_coords,
                  f"{len(coords)} audit records ({len(coords) - len(set(coords))} "
                  f"repeats), {len(want_coords)} inputs")
        rep.note(f"{fault}: at-least-once: {dups} duplicate actions, "
                 f"{len(coords) - len(set(coords))} repeated audit records")
    lost = sum((collections.Counter(want) - collections.Counter(got)).values())
    rep.note(f"{fault}: measured: lost {lost} of {len(want)} actions; doubled "
             f"{len(got) - len(set(got))}; aborted batches "
             f"{(w.summary or {}).get('aborts')}; recovered in {recovered:.1f}s")
    if rep.failed:
        env.dump_logs(60)


def main():
    binary, _rest, mode = kt.args()
    kt.bootstrap()  # the suite's broker: only whether Kafka tests are wanted
    seed = int(os.environ.get("CSPFLOW_FAULTS_SEED", "20260401"))
    migrations = int(os.environ.get("CSPFLOW_FAULTS_MIGRATIONS", "500"))
    faults = os.environ.get("CSPFLOW_FAULTS", "kill,pause").split(",")
    rep = kt.Report(f"kafka broker faults ({mode})")
    rng = random.Random(seed)
    rep.note(f"seed {seed}, {migrations} migrations, faults {faults}")
    broker = kt.OwnBroker("faults")
    try:
        addr = broker.start()
        rep.note(f"own broker at {addr} ({broker.env['CSPFLOW_KAFKA_DIR']})")
        os.environ["CSPFLOW_BOOTSTRAP"] = addr
        for fault in faults:
            fault_run(rep, binary, mode, broker, fault, rng, migrations)
    finally:
        broker.stop()
    rep.finish()


if __name__ == "__main__":
    main()
