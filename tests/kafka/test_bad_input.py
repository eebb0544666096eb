"""Bad input reaches the DLQ with its reason; the worker keeps going.

On the events topic, in the partition of a live migration (the happy path
of examples/01), between its first and its last events:
  - random bytes                                   -> malformed
  - C3 01 + 8 random bytes + a valid Avro body      -> unknown-schema
  - a valid record cut in half                      -> malformed
  - an empty value, and a null value (tombstone)    -> malformed
  - a subscription-provisioned for a subscription the migration does not
    have (rule 13)                                  -> unknown-subscription
  - an invitation-accepted for no migration (13)    -> no-migration
  - an event sent twice (rule 12)                   -> skipped, no output
The first three kinds are written with the raw Kafka client of
kafkatest.py, the others with `cspflow produce`.

Checks: each bad record is in the DLQ (cspflow tail of the DLQ topic) once,
with its reason code and its source partition and offset; the DLQ record's
headers name the source topic; the actions equal simulate's for the valid
events (so the migration completed after the bad records); the worker
exits 0; and inputs = handled + DLQ + skipped duplicates, from the run's
summary and from the audit topic.

usage: test_bad_input.py CSPFLOW [--mode eos|at-least-once]
"""
import json
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

KEY = "partner-contoso/tenant-fabrikam"


def ev(typ, eid, tenant="tenant-fabrikam", **body):
    return json.dumps({"type": typ, "event_id": eid,
                       "occurred_at": "2026-03-04T10:00:00Z",
                       "partner_id": "partner-contoso",
                       "customer_tenant_id": tenant, **body},
                      separators=(",", ":"))


def main():
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"kafka bad input ({mode})")
    env = kt.Env(binary, f"bad-{mode}", mode)
    rng = random.Random(1313)
    with open(os.path.join(kt.ROOT, "examples", "01-happy-path.jsonl")) as f:
        happy = [l.rstrip("\n") for l in f if l.strip()]
    first, rest = happy[:4], happy[4:]
    rule13 = [ev("subscription-provisioned", "bad-unknown-sub",
                 source_subscription_id="src-nope", subscription_id="csp-nope",
                 offer_id="O365-E3", quantity=1),
              ev("invitation-accepted", "bad-no-migration", tenant="tenant-nobody")]
    duplicate = happy[2]  # evt-0103 again
    valid_all = first + rule13 + [duplicate] + rest

    def produce_lines(name, lines):
        p = env.path(name)
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        rc, err = env.produce(p)
        rep.check(f"cspflow produce {name} ({len(lines)} lines) exits 0", rc == 0,
                  "" if rc == 0 else f"exit {rc}: {err[-500:]}")
        return rc == 0

    if not produce_lines("part1.jsonl", first):
        rep.finish()

    c = kt.KafkaClient(env.bootstrap)
    topic = env.topics["events"]
    events = c.fetch_committed(topic)
    mine = [r for p in events for r in events[p] if r[1] == KEY.encode()]
    rep.check("own fetch: the 4 records just produced, under the migration's key",
              len(mine) == 4, f"{len(mine)} records")
    if not mine:
        rep.finish()
    part = next(p for p in events if events[p] and events[p][0][1] == KEY.encode())
    valid = mine[1][2]  # invitation-accepted, as cspflow produce wrote it
    rep.check("cspflow produce writes Avro single-object records (C3 01)",
              valid[:2] == b"\xc3\x01", valid[:10].hex())

    junk = bytes([rng.randrange(256) for _ in range(200)])
    # neither framing: C3 01 is single-object, 00 the Confluent wire format
    junk = b"\x01" + junk[1:]
    fp = bytes([rng.randrange(256) for _ in range(8)])
    bad = [("random bytes", junk, "malformed"),
           ("unknown fingerprint", b"\xc3\x01" + fp + valid[10:], "unknown-schema"),
           ("valid record cut in half", valid[:len(valid) // 2], "malformed"),
           ("empty value", b"", "malformed"),
           ("null value", None, "malformed")]
    coords = {}
    for what, value, code in bad:
        off = c.produce(topic, part, [(KEY.encode(), value, [])])
        coords[(part, off)] = (what, code)
    rep.note(f"{len(bad)} raw records written to {topic}[{part}] at offsets "
             f"{sorted(o for _p, o in coords)}")

    if not produce_lines("part2.jsonl", rule13 + [duplicate] + rest):
        rep.finish()

    w = env.run_worker("1", idle_exit=3, timeout=300)
    rep.check("worker exits 0 (it kept going)", w.rc == 0, f"exit {w.rc}")

    # Actions: those of simulate on the valid events.
    vpath = env.path("valid.jsonl")
    with open(vpath, "w") as f:
        f.write("\n".join(valid_all) + "\n")
    sim = env.simulate(vpath)
    want = kt.actions_of_simulate(sim)
    want_rej = kt.rejections_of_simulate(sim)
    got = env.tail("actions")
    kt.compare_per_key(rep, "actions", want, got)
    rep.check("the migration completed after the bad records",
              any(json.loads(l)["type"] == "migration-completed" for l in got))

    # DLQ: every bad record, once, with its code and coordinates.
    dlq = [json.loads(l) for l in env.tail("dlq")]
    events = c.fetch_committed(topic)
    n_in = sum(len(v) for v in events.values())
    for (p, off), (what, code) in sorted(coords.items()):
        hits = [d for d in dlq if d.get("source_partition") == p
                and d.get("source_offset") == off]
        rep.check(f"DLQ: {what} ({p}/{off}) once, reason {code}",
                  len(hits) == 1 and hits[0].get("reason", "").startswith(code + ":"),
                  json.dumps(hits))
    for r in want_rej:
        code = r["reason"].split(":")[0]
        hits = [d for d in dlq if d.get("causation_id") == r["causation_id"]]
        ok = len(hits) == 1 and hits[0].get("reason", "").startswith(code + ":")
        if ok:  # the coordinates point at that event's record
            p, off = hits[0].get("source_partition"), hits[0].get("source_offset")
            src = [v for (o, _k, v, _h) in events.get(p, []) if o == off]
            ok = len(src) == 1 and r["causation_id"].encode() in (src[0] or b"")
        rep.check(f"DLQ: {r['causation_id']} once, reason {code}, coordinates "
                  f"of its record", ok, json.dumps(hits))
    n_bad = len(bad) + len(want_rej)
    rep.check("DLQ holds exactly the bad records", len(dlq) == n_bad,
              f"{len(dlq)} DLQ records, {n_bad} bad inputs")
    # The DLQ records themselves (own read_committed fetch): the original
    # bytes as value, the reason and the source coordinates as headers.
    raw_dlq = c.fetch_committed(env.topics["dlq"])
    src_of = {(p, o): v for p in events for (o, _k, v, _h) in events[p]}
    n_ok, bad_hdr = 0, []
    for p in sorted(raw_dlq):
        for (_o, _k, v, h) in raw_dlq[p]:
            hd = {k: (x or b"").decode(errors="replace") for k, x in h}
            try:
                where = (int(hd.get("dlq_source_partition")),
                         int(hd.get("dlq_source_offset")))
            except (TypeError, ValueError):
                where = None
            ok = (hd.get("dlq_source_topic") == topic and where in src_of
                  and (v or b"") == (src_of[where] or b"")
                  and hd.get("dlq_reason") in {code for _w, code in coords.values()}
                  | {r["reason"].split(":")[0] for r in want_rej})
            n_ok += ok
            if not ok:
                bad_hdr.append(hd)
    rep.check("DLQ records: the source's bytes as value; headers dlq_reason, "
              "dlq_source_topic/partition/offset naming that source",
              n_ok == len(dlq) and not bad_hdr,
              f"{n_ok}/{len(dlq)} records" + (f"; first bad: {bad_hdr[0]}" if bad_hdr else ""))

    # inputs = handled + DLQ + skipped duplicates
    s = w.summary or {}
    rep.note(f"summary: {json.dumps(s)}; {n_in} records on the events topic")
    rep.check("summary: consumed == records on the events topic",
              s.get("consumed") == n_in, f"{s.get('consumed')} vs {n_in}")
    rep.check("summary: rejected == DLQ records", s.get("rejected") == len(dlq),
              f"{s.get('rejected')} vs {len(dlq)}")
    rep.check("summary: one duplicate skipped (rule 12)", s.get("duplicates") == 1,
              f"{s.get('duplicates')}")
    handled = s.get("applied", 0)
    rep.check("inputs = handled + DLQ + skipped duplicates",
              n_in == handled + s.get("rejected", 0) + s.get("duplicates", 0)
              + s.get("skipped_offsets", 0),
              f"{n_in} = {handled} + {s.get('rejected')} + {s.get('duplicates')}"
              f" + {s.get('skipped_offsets')} skipped offsets")
    audit = [json.loads(l) for l in env.tail("audit")]
    where = sorted((a.get("source_partition"), a.get("source_offset")) for a in audit)
    rep.check("audit: exactly one record per input, naming its partition and offset",
              where == sorted(src_of), f"{len(audit)} audit records, {n_in} inputs")
    verdicts = {}
    for a in audit:
        verdicts[a.get("verdict")] = verdicts.get(a.get("verdict"), 0) + 1
    rep.check("audit: verdicts add up to the summary's counts",
              verdicts == {"applied": s.get("applied"), "rejected": s.get("rejected"),
                           "duplicate": s.get("duplicates")}, f"{verdicts}")
    c.close()
    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
