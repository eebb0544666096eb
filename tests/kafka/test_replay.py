"""`cspflow replay` against a real broker.

Every example runs through the worker on topics of its own; then:

  1. replay (from the beginning) reports identical and exits 0, having
     compared every record of the actions topic;
  2. a tampered copy of the actions topic: the same records (raw bytes, same
     partitions) minus one, one with a field changed, plus one the rules
     never emitted. Replay pointed at it (--set topic.actions=COPY) exits 1
     and names each difference with its key: the missing record, the extra
     one, the changed field with both values; the same in --json;
  3. the range: --from-offset at the end of every partition compares
     nothing (identical, exit 0, even against the copy), --from-time before
     the run finds the same three differences; a bad range is exit 2;
  4. progress: stderr (not a terminal here) carries plain progress lines.

usage: test_replay.py CSPFLOW [--mode eos|at-least-once]
"""
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


def replay(env, catalog, *extra):
    p = subprocess.run(env.cmd("replay", "--config", env.config, "--catalog",
                               catalog, *extra),
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def make_copy(rep, env, copy_topic):
    """The actions topic into copy_topic, tampered. Returns (dropped,
    changed (before, after), extra) as JSON objects."""
    actions = [json.loads(l) for l in env.tail("actions")]
    c = kt.KafkaClient(env.bootstrap)
    try:
        raw = c.fetch_committed(env.topics["actions"])
        flat = [(p, r) for p, recs in sorted(raw.items()) for r in recs]
        rep.check("tail and the raw fetch see the same actions",
                  len(flat) == len(actions), f"{len(flat)} raw, {len(actions)} tail")
        # `tail --from-beginning` prints partition 0, then 1, ...: the same
        # order as flat
        drop = next(i for i, a in enumerate(actions)
                    if a["type"] == "provision-requested")
        change = next(i for i, a in enumerate(actions)
                      if i != drop and isinstance(a.get("quantity"), int))
        before = actions[change]
        after = dict(before, quantity=before["quantity"] + 7)
        extra = dict(actions[0], event_id="00000000-0000-4000-8000-00000000e7a1")
        tampered = env.path("tampered.jsonl")
        with open(tampered, "w") as f:
            f.write(json.dumps(after) + "\n" + json.dumps(extra) + "\n")
        # cspflow produce creates the topic (the events topic's partition
        # count) and keys each record as the worker does
        rc, err = env.produce(tampered, topic=copy_topic)
        rep.check("cspflow produce of the changed and the extra record", rc == 0, err[-500:])
        for i, (p, (_off, key, value, headers)) in enumerate(flat):
            if i not in (drop, change):
                c.produce(copy_topic, p, [(key, value, headers)])
    finally:
        c.close()
    return actions[drop], (before, after), extra


def main():
    binary, _, mode = kt.args()
    rep = kt.Report(f"kafka replay ({mode})")
    env = kt.Env(binary, f"replay-{mode}", mode, partitions=3)
    got = kt.run_all_examples(rep, env)
    if got is None:
        rep.finish()
    _, catalog, sim, _ = got
    n_actions = len(kt.actions_of_simulate(sim))

    # 1. identical
    rc, out, err = replay(env, catalog)
    rep.check("replay of the worker's own topics exits 0", rc == 0, f"exit {rc}: {err[-800:]}")
    rep.check("the report says identical", "result: identical" in out, "" if rc == 0 else out[-500:])
    rc, out, err = replay(env, catalog, "--json")
    summary = json.loads(out.splitlines()[-1]) if out.strip() else {}
    s = summary.get("summary", {})
    rep.check("--json: identical, every action compared",
              rc == 0 and summary.get("identical") is True
              and s.get("expected") == n_actions == s.get("compared") == s.get("matched"),
              json.dumps(summary))
    rep.check("progress lines on stderr (not a terminal)",
              re.search(r'"component":"replay".*events done', err) is not None
              and "actions done" in err, err[-600:])

    # 2. a tampered copy of the actions topic
    copy = f"{env.prefix}.actions-copy"
    dropped, (before, after), extra = make_copy(rep, env, copy)
    key = lambda o: f"{o['partner_id']}/{o['customer_tenant_id']}"
    rc, out, err = replay(env, catalog, "--set", f"topic.actions={copy}")
    rep.check("replay against the tampered copy exits 1", rc == 1, f"exit {rc}: {err[-800:]}")
    rep.check("the report counts 3 differences: 1 missing, 1 extra, 1 changed",
              "result: 3 difference(s)" in out and "1 missing, 1 extra, 1 changed" in out,
              out[:1500] if rc != 1 else "")
    blocks = {}
    for part in re.split(r"\n(?=key )", out):
        m = re.match(r"key (\S+)\n", part)
        if m:
            blocks[m.group(1)] = blocks.get(m.group(1), "") + part
    b = blocks.get(key(dropped), "")
    rep.check("missing: named under its key with its type and event id",
              re.search(rf"missing\s+{dropped['type']} {dropped['event_id']}", b) is not None,
              b[:600])
    b = blocks.get(key(extra), "")
    rep.check("extra: named under its key with its event id",
              re.search(rf"extra\s+{extra['type']} {extra['event_id']}", b) is not None, b[:600])
    b = blocks.get(key(before), "")
    rep.check("changed: named under its key, the field with both values",
              re.search(rf"changed\s+{before['type']} {before['event_id']}", b) is not None
              and f"quantity: replay {before['quantity']}, topic {after['quantity']}" in b,
              b[:600])

    rc, out, err = replay(env, catalog, "--set", f"topic.actions={copy}", "--json")
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    diffs = [d for d in lines if "kind" in d]
    want = {("missing", key(dropped), dropped["event_id"]),
            ("extra", key(extra), extra["event_id"]),
            ("changed", key(before), before["event_id"])}
    rep.check("--json: exactly the three differences, with their keys",
              rc == 1 and {(d["kind"], d["key"], d["event_id"]) for d in diffs} == want,
              json.dumps(diffs)[:1500])
    ch = [d for d in diffs if d["kind"] == "changed"]
    rep.check("--json: the changed record's one field, expected and actual",
              len(ch) == 1 and ch[0]["fields"] == [{"field": "quantity",
                                                    "expected": before["quantity"],
                                                    "actual": after["quantity"]}],
              json.dumps(ch))
    ms = [d for d in diffs if d["kind"] == "missing"]
    rep.check("--json: the missing record in full", len(ms) == 1 and ms[0]["expected"] == dropped,
              json.dumps(ms)[:800])

    # 3. ranges
    c = kt.KafkaClient(env.bootstrap)
    ends = c.end_offsets(env.topics["events"])
    c.close()
    at_end = ",".join(f"{p}:{o}" for p, o in sorted(ends.items()))
    rc, out, err = replay(env, catalog, "--set", f"topic.actions={copy}",
                          "--from-offset", at_end)
    rep.check("--from-offset at the end of every partition: nothing compared, exit 0",
              rc == 0 and "0 in range" in out and "result: identical" in out,
              f"exit {rc}: {out[:600]} {err[-300:]}")
    rc, out, err = replay(env, catalog, "--set", f"topic.actions={copy}",
                          "--from-time", "2000-01-01T00:00:00Z")
    rep.check("--from-time before the run: the same three differences, exit 1",
              rc == 1 and "1 missing, 1 extra, 1 changed" in out, f"exit {rc}: {out[:600]}")
    rc, _, err = replay(env, catalog, "--from-offset", "99:0")
    rep.check("--from-offset naming a partition the topic lacks: exit 2", rc == 2, err[-300:])
    rc, _, err = replay(env, catalog, "--from-offset", "0:1", "--from-time",
                        "2000-01-01T00:00:00Z")
    rep.check("two ranges at once: exit 2", rc == 2, err[-300:])

    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
