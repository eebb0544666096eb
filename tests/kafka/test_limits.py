"""Every configurable cap (docs/limits.md), one input past each, through
the worker against the real broker.

The worker runs with lowered caps (config file):
    limits.record.bytes=1024  limits.id.bytes=32  limits.text.bytes=40
    limits.roles=2  limits.subscriptions=3  limits.keys.per.partition=2
on one partition. Inputs, in order: two valid migration-requested (keys A
and B: the partition's two keys), then one input past each cap:
  - a migration-requested for a third key C     -> limits.keys.per.partition
  - an invitation-accepted of A with a 33-byte correlation_id
                                                -> limits.id.bytes
  - a provision-failed of A with a 41-byte reason -> limits.text.bytes
  - a migration-requested with 3 roles          -> limits.roles
  - a migration-requested with 4 subscriptions  -> limits.subscriptions
  - 1500 bytes starting like an Avro record (raw) -> limits.record.bytes
then A's invitation-accepted (valid). All but the raw record are written by
`cspflow produce`, whose own caps are the compile-time maxima.

Checks: each over-limit input is in the DLQ once, reason `over-limit`, the
detail naming its cap; the actions equal simulate's of the valid inputs
(A went on after the bad ones); the worker exits 0 (no crash, and under
ASan no leak or over-allocation); its summary counts 6 rejected.

usage: test_limits.py CSPFLOW [--mode eos|at-least-once]
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

LIMITS = ["limits.record.bytes=1024", "limits.id.bytes=32",
          "limits.text.bytes=40", "limits.roles=2", "limits.subscriptions=3",
          "limits.keys.per.partition=2"]


def ev(typ, eid, tenant, **body):
    return json.dumps({"type": typ, "event_id": eid,
                       "occurred_at": "2026-03-04T10:00:00Z",
                       "partner_id": "partner-contoso",
                       "customer_tenant_id": tenant, **body},
                      separators=(",", ":"))


def request(eid, tenant, roles=1, subs=1):
    return ev("migration-requested", eid, tenant,
              actor={"user_id": "alice",
                     "roles": ["account-admin"] + [f"r{i}" for i in range(1, roles)]},
              partner_region="eu", customer_tenant_region="eu",
              multi_channel=False, delegated_admin=False,
              source_subscriptions=[{"subscription_id": f"src-{i}",
                                     "offer_id": "O365-E3", "quantity": 5,
                                     "channel": "other-partner",
                                     "expires_at": "2026-06-30T00:00:00Z"}
                                    for i in range(subs)])


def main():
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"kafka limits ({mode})")
    env = kt.Env(binary, f"limits-{mode}", mode, partitions=1, extra=LIMITS)
    valid_first = [request("ok-a", "tenant-a"), request("ok-b", "tenant-b")]
    over = [
        ("limits.keys.per.partition", request("over-keys", "tenant-c")),
        ("limits.id.bytes", ev("invitation-accepted", "over-id", "tenant-a",
                               correlation_id="c" * 33)),
        ("limits.text.bytes", ev("provision-failed", "over-text", "tenant-a",
                                 source_subscription_id="src-0",
                                 reason="r" * 41)),
        ("limits.roles", request("over-roles", "tenant-d", roles=3)),
        ("limits.subscriptions", request("over-subs", "tenant-e", subs=4)),
    ]
    valid_last = [ev("invitation-accepted", "ok-a-accept", "tenant-a")]

    def produce_lines(name, lines):
        p = env.path(name)
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        rc, err = env.produce(p)
        rep.check(f"cspflow produce {name} ({len(lines)} lines) exits 0",
                  rc == 0, "" if rc == 0 else f"exit {rc}: {err[-500:]}")
        return rc == 0

    if not produce_lines("part1.jsonl", valid_first + [l for _c, l in over]):
        rep.finish()
    c = kt.KafkaClient(env.bootstrap)
    topic = env.topics["events"]
    events = c.fetch_committed(topic)
    first = events[0][0][2]
    big = first[:10] + b"\x02" * (1500 - 10)  # header of a valid record
    raw_off = c.produce(topic, 0, [(b"partner-contoso/tenant-a", big, [])])
    if not produce_lines("part2.jsonl", valid_last):
        rep.finish()

    w = env.run_worker("1", idle_exit=3, timeout=300)
    rep.check("worker exits 0 (no crash)", w.rc == 0, f"exit {w.rc}")

    vpath = env.path("valid.jsonl")
    with open(vpath, "w") as f:
        f.write("\n".join(valid_first + valid_last) + "\n")
    want = kt.actions_of_simulate(env.simulate(vpath))
    kt.compare_per_key(rep, "actions", want, env.tail("actions"))

    dlq = [json.loads(l) for l in env.tail("dlq")]
    for cap, line in over:
        eid = json.loads(line)["event_id"]
        hits = [d for d in dlq if d.get("causation_id") == eid]
        ok = (len(hits) == 1 and hits[0].get("reason", "").startswith("over-limit:")
              and cap in hits[0].get("reason", ""))
        rep.check(f"DLQ: {eid} once, over-limit naming {cap}", ok,
                  json.dumps(hits)[:600])
    hits = [d for d in dlq if d.get("source_offset") == raw_off]
    rep.check("DLQ: the 1500-byte record once, over-limit naming "
              "limits.record.bytes",
              len(hits) == 1 and hits[0].get("reason", "").startswith("over-limit:")
              and "limits.record.bytes" in hits[0].get("reason", ""),
              json.dumps(hits)[:600])
    rep.check("DLQ holds exactly the 6 over-limit inputs", len(dlq) == 6,
              f"{len(dlq)} records")
    s = w.summary or {}
    rep.note(f"summary: {json.dumps(s)}")
    rep.check("summary: 6 rejected, 3 applied", s.get("rejected") == 6
              and s.get("applied") == 3, json.dumps(s))
    c.close()
    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
