"""`cspflow inspect KEY` against a real broker.

Every example runs through the worker on topics of its own; then, for every
key of the examples, `inspect KEY --json` must give the whole timeline of
that key, checked against `cspflow simulate` of the same input:

  - one record per input of that key, in the order the events topic holds
    them (event ids; a line that is not Avro at all shows with no event
    id);
  - the statuses chain: the first starts at none, each record starts where
    the previous ended, the last ends at simulate --state's status;
  - an applied input lists exactly the outputs simulate emits for it (same
    ids, same types, same order); a refused one names simulate's reason
    code; a rule-12 duplicate emits nothing;
and the readable table has one aligned row per input with its
"before -> after". An unknown key is exit 1.

usage: test_inspect.py CSPFLOW [--mode eos|at-least-once]
"""
import collections
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


def inspect(env, key, *extra):
    p = subprocess.run(env.cmd("inspect", key, "--config", env.config, *extra),
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def inputs_by_key(path, sim):
    """{key: [event_id or None]} of the inputs in the order they reach the
    events topic: kt.produce_input sends the Avro-encodable lines first, in
    file order, then the others as raw bytes (None: an audit record without
    an event id). Lines with no key at all are filed under no key."""
    good, raw = kt.split_input(path, sim)
    out = collections.OrderedDict()
    for line in good:
        out.setdefault(kt.raw_key(line).decode(), []).append(
            json.loads(line)["event_id"])
    for line in raw:
        k = kt.raw_key(line)
        if k is not None:
            out.setdefault(k.decode(), []).append(None)
    return out


def main():
    binary, _, mode = kt.args()
    rep = kt.Report(f"kafka inspect ({mode})")
    env = kt.Env(binary, f"inspect-{mode}", mode, partitions=3)
    got = kt.run_all_examples(rep, env)
    if got is None:
        rep.finish()
    inp, catalog, sim, _ = got
    outputs = collections.defaultdict(list)  # causation id -> outputs
    refused = {}  # event id -> reason code
    for l in sim:
        o = json.loads(l)
        if o["type"] == "event-rejected":
            if o.get("causation_id"):
                refused[o["causation_id"]] = o["reason"].split(":")[0]
        else:
            outputs[o["causation_id"]].append(o)
    p = subprocess.run([binary, "simulate", "--catalog", catalog, "--state", inp],
                       capture_output=True, text=True, timeout=120)
    final = {f"{o['partner_id']}/{o['customer_tenant_id']}": o["status"]
             for o in map(json.loads, p.stdout.splitlines())
             if o["type"] == "migration-state"}
    keys = inputs_by_key(inp, sim)
    rep.check("the examples have keys", len(keys) >= 5, f"{len(keys)} keys")

    for key, ids in keys.items():
        rc, out, err = inspect(env, key, "--json")
        if not rep.check(f"{key}: inspect --json exits 0", rc == 0, f"exit {rc}: {err[-400:]}"):
            continue
        recs = [json.loads(l) for l in out.splitlines() if l.strip()]
        rep.check(f"{key}: one record per input, in input order",
                  [r["event_id"] for r in recs] == ids,
                  f"audit {[r['event_id'] for r in recs]} input {ids}")
        # an input that did not decode carries none -> none (the worker
        # could not look its key up): the chain runs over the others
        dec = [r for r in recs if r["event_type"]]
        chain = all(dec[i]["status_before"] == dec[i - 1]["status_after"]
                    for i in range(1, len(dec)))
        rep.check(f"{key}: statuses chain from none to simulate's final status",
                  dec and dec[0]["status_before"] == "none" and chain
                  and dec[-1]["status_after"] == final.get(key, "none")
                  and all(r["status_before"] == r["status_after"] == "none"
                          for r in recs if not r["event_type"]),
                  " ; ".join(f"{r['status_before']}->{r['status_after']}" for r in recs))
        bad = []
        for r in recs:
            eid, want = r["event_id"], outputs.get(r["event_id"], [])
            if r["verdict"] == "applied":
                ok = (r["output_event_ids"] == [o["event_id"] for o in want]
                      and r["output_types"] == [o["type"] for o in want])
            elif r["verdict"] == "rejected":
                code = refused.get(eid)
                # a line simulate cannot encode went to Kafka as raw bytes
                ok = r["output_event_ids"] == [] and (
                    r["reason"] == "malformed" if eid is None else r["reason"] == code)
            else:  # duplicate: the same id was applied before
                ok = r["output_event_ids"] == [] and r["rule"] == 12
            if not ok:
                bad.append((eid, r["verdict"], r["output_types"], r.get("reason")))
        rep.check(f"{key}: outputs and refusals are simulate's", not bad, str(bad)[:800])

        rc, out, err = inspect(env, key)
        lines = out.splitlines()
        head = next((i for i, l in enumerate(lines) if l.startswith("TIME ")), None)
        rows = lines[head + 1:head + 1 + len(recs)] if head is not None else []
        col = lines[head].index("STATUS") if head is not None else -1
        want = [f"{r['status_before']} -> {r['status_after']}" if r["event_type"] else "-"
                for r in recs]
        rep.check(f"{key}: the table has one aligned row per input with before -> after",
                  rc == 0 and len(rows) == len(recs)
                  and all(row[col:].startswith(w + " ") for w, row in zip(want, rows)),
                  "\n" + out[:1500] if rc or len(rows) != len(recs) else "")
    rc, out, err = inspect(env, "partner-nobody/tenant-nobody")
    rep.check("a key with no audit record: exit 1 naming it",
              rc == 1 and "partner-nobody/tenant-nobody" in err, f"exit {rc}: {err[-300:]}")
    rc, out, err = inspect(env, "no-slash")
    rep.check("a KEY without '/': exit 2", rc == 2, f"exit {rc}")
    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
