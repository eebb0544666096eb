"""`cspflow run --http`: /metrics counts what Kafka holds, /healthz and
/readyz follow the worker (docs/operations.md).

Run 1: every example input (examples/*.jsonl, one stream, with the
discontinued-offer catalog) is put on the events topic, then a worker
starts with --http 127.0.0.1:PORT. Once the group has committed every
input, /metrics (scraped with curl) must say: inputs by type = the types
produced (undecodable: the lines sent as raw bytes); rejected inputs =
simulate's rejections; outputs by type = simulate's outputs = the ce_type
headers on the actions topic; DLQ records by reason = the dlq_reason
headers on the DLQ topic = simulate's codes; migrations by status =
`simulate --state`; consumer lag 0 on every partition; transactions
committed and aborted = the worker's exit summary. Every sample belongs to
a family with # HELP and # TYPE lines.

Run 2 (restart, the state is on the state topic): before it starts, a
transaction is left open on partition 0 of the state topic, so the
restore of that partition cannot finish. While it waits: /readyz 503
(restoring), /healthz 200 (the restore loop beats), restore pending >= 1.
After the transaction is aborted: /readyz 200, every partition restored,
restore records = the committed records of the state topic, migrations by
status = `simulate --state` again (counted from the restored state), and
no input handled twice.

usage: test_http.py CSPFLOW [--mode eos|at-least-once]
Port: CSPFLOW_TEST_HTTP_PORT, else a free one.
"""
import collections
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

PARTITIONS = 3
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def free_port():
    env = os.environ.get("CSPFLOW_TEST_HTTP_PORT")
    if env:
        return int(env)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path):
    """(HTTP status, body) with curl; status 0 when nothing answers."""
    p = subprocess.run(["curl", "-s", "--max-time", "10", "-w", "\n%{http_code}",
                        f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True, timeout=30)
    body, _, code = p.stdout.rpartition("\n")
    return int(code or 0), body


def parse(text):
    """({(name, frozenset(labels)): value}, [format problems])."""
    samples, typed, problems = {}, {}, []
    helped = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split()
            typed[name] = typ
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append(f"not a sample: {line!r}")
            continue
        name, labels, value = m.groups()
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and typed.get(name[:-len(suffix)]) == "histogram":
                family = name[:-len(suffix)]
        if family not in typed or family not in helped:
            problems.append(f"{name}: no # HELP/# TYPE before it")
        samples[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    return samples, problems


def scrape(port):
    code, body = get(port, "/metrics")
    if code != 200:
        return None, [f"/metrics: HTTP {code}"]
    return parse(body)


def by(samples, name, label):
    """{label value: sample value} of one family (summed over other labels)."""
    out = collections.Counter()
    for (n, labels), v in samples.items():
        if n == name:
            out[dict(labels)[label]] += int(v)
    return out


def one(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def wait_for(what, fn, timeout=120):
    """Polls fn() until it returns something true; None after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    print(f"     gave up waiting for {what} after {timeout}s")
    return None


def nonzero(c):
    return {k: v for k, v in c.items() if v}


def header_counts(records, header):
    c = collections.Counter()
    for recs in records.values():
        for _off, _k, _v, hdrs in recs:
            h = dict(hdrs)
            c[(h.get(header) or b"?").decode()] += 1
    return c


def statuses_of_simulate(env, path, catalog):
    p = subprocess.run([env.bin, "simulate", "--state", "--catalog", catalog, path],
                       capture_output=True, text=True, timeout=600)
    c = collections.Counter()
    for line in p.stdout.splitlines():
        o = json.loads(line)
        if o.get("type") == "migration-state":
            c[o["status"]] += 1
    return c


def main():
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"kafka http endpoint ({mode})")
    env = kt.Env(binary, f"http-{mode}", mode, partitions=PARTITIONS)
    catalog = os.path.join(kt.ROOT, "examples", "02-discontinued-offer.catalog.json")
    inp = env.path("examples.jsonl")
    with open(inp, "wb") as out:
        for f in sorted(glob.glob(os.path.join(kt.ROOT, "examples", "*.jsonl"))):
            with open(f, "rb") as src:
                data = src.read()
            out.write(data if data.endswith(b"\n") else data + b"\n")
    sim = env.simulate(inp, catalog)
    want_out = collections.Counter(json.loads(l)["type"]
                                   for l in kt.actions_of_simulate(sim))
    good, raw = kt.split_input(inp, sim)
    raw_lines = set(raw)
    want_in = collections.Counter(json.loads(l)["type"] for l in good)
    if raw:
        want_in["undecodable"] = len(raw)
    want_rej = kt.rejections_of_simulate(sim)
    # the worker reads a line sent as raw bytes as undecodable: malformed
    want_dlq = collections.Counter(
        "malformed" if r["reason"].split(":")[0] in kt.NOT_ENCODABLE
        else r["reason"].split(":")[0] for r in want_rej)
    want_status = statuses_of_simulate(env, inp, catalog)
    rep.note(f"{sum(want_in.values())} inputs ({len(raw_lines)} raw), "
             f"{sum(want_out.values())} outputs and {len(want_rej)} rejections "
             f"from simulate")
    n = kt.produce_input(rep, env, inp, sim, "examples")
    if n is None:
        rep.finish()
    client = kt.KafkaClient(env.bootstrap)
    port = free_port()
    http = ["--http", f"127.0.0.1:{port}"]

    # ---- run 1: consume everything
    w = env.start_worker("run1", catalog=catalog, extra=http)
    try:
        code = wait_for("/healthz 200", lambda: get(port, "/healthz")[0] == 200, 60)
        rep.check("run 1: /healthz 200 while the worker runs", code, f"port {port}")
        code = wait_for("/readyz 200", lambda: get(port, "/readyz")[0] == 200)
        rep.check("run 1: /readyz 200 once partitions are assigned and restored",
                  code, get(port, "/readyz")[1].strip())
        done = wait_for("every input committed", lambda: kt.committed_progress(
            client, env.group, env.topics["events"]) == (n, n))
        rep.check("run 1: the group committed every input", done,
                  str(kt.committed_progress(client, env.group, env.topics["events"])))

        def settled():
            s, probs = scrape(port)
            if s is None or sum(by(s, "cspflow_inputs_total", "type").values()) < n:
                return None
            lags = [v for (name, _l), v in s.items() if name == "cspflow_consumer_lag"]
            if len(lags) < PARTITIONS or any(lags):
                return None
            return s, probs
        got = wait_for("/metrics counting every input, lag 0", settled, 60)
        s, probs = got if got else scrape(port)
        if s is None:
            rep.check("run 1: /metrics answers", False, str(probs))
            raise SystemExit
        rep.check("run 1: /metrics is Prometheus text, every sample under "
                  "# HELP and # TYPE", not probs, "; ".join(probs[:5]))
        got_in = nonzero(by(s, "cspflow_inputs_total", "type"))
        rep.check("run 1: inputs by type == what was produced",
                  got_in == dict(want_in), f"metrics {got_in}\n       produced {dict(want_in)}")
        verdicts = by(s, "cspflow_inputs_total", "verdict")
        rep.check("run 1: inputs rejected == simulate's rejections",
                  verdicts["rejected"] == len(want_rej),
                  f"{verdicts['rejected']} vs {len(want_rej)}")
        got_out = nonzero(by(s, "cspflow_outputs_total", "type"))
        actions = client.fetch_committed(env.topics["actions"])
        on_topic = header_counts(actions, "ce_type")
        on_topic = {k.rpartition(".")[2]: v for k, v in on_topic.items()}
        rep.check("run 1: outputs by type == simulate's outputs",
                  got_out == dict(want_out), f"metrics {got_out}\n       simulate {dict(want_out)}")
        rep.check("run 1: outputs by type == ce_type of the actions topic",
                  got_out == on_topic, f"topic {on_topic}")
        got_dlq = nonzero(by(s, "cspflow_dlq_records_total", "reason"))
        dlq_topic = dict(header_counts(client.fetch_committed(env.topics["dlq"]),
                                       "dlq_reason"))
        rep.check("run 1: DLQ by reason == simulate's rejection codes",
                  got_dlq == dict(want_dlq), f"metrics {got_dlq}\n       simulate {dict(want_dlq)}")
        rep.check("run 1: DLQ by reason == dlq_reason of the DLQ topic",
                  got_dlq == dlq_topic, f"topic {dlq_topic}")
        got_status = nonzero(by(s, "cspflow_migrations", "status"))
        rep.check("run 1: migrations by status == simulate --state",
                  got_status == dict(want_status),
                  f"metrics {got_status}\n       simulate {dict(want_status)}")
        committed = one(s, "cspflow_transactions_total", result="committed")
        aborted = one(s, "cspflow_transactions_total", result="aborted")
        hist = one(s, "cspflow_commit_duration_seconds_count")
        inf = one(s, "cspflow_commit_duration_seconds_bucket", le="+Inf")
        rep.check("run 1: one commit latency per committed transaction",
                  committed and hist == committed == inf,
                  f"committed {committed}, histogram count {hist}, +Inf {inf}")
        rep.check("run 1: restored partitions == partitions, none pending",
                  one(s, "cspflow_restore_partitions", state="restored") == PARTITIONS
                  and one(s, "cspflow_restore_partitions", state="pending") == 0)
        rep.check("run 1: process metrics present",
                  all(one(s, k) is not None for k in
                      ("process_cpu_seconds_total", "process_resident_memory_bytes",
                       "process_open_fds", "process_start_time_seconds")))
    finally:
        w.signal(signal.SIGTERM)
        w.wait(120)
    summ = w.summary or {}
    rep.check("run 1: worker exits 0 on SIGTERM", w.rc == 0, f"rc {w.rc}")
    rep.check("run 1: transactions committed / aborted == the exit summary",
              summ.get("transactions") == committed and summ.get("aborts") == aborted,
              f"metrics {committed}/{aborted}, summary {json.dumps(summ)}")
    rep.check("run 1: /metrics gone with the worker", get(port, "/healthz")[0] == 0)

    # ---- run 2: restore held up by an open transaction on the state topic
    state_records = sum(len(r) for r in client.fetch_committed(env.topics["state"]).values())
    txn = client.begin_transaction(f"{env.prefix}.blocker", env.topics["state"], 0)
    client.produce(env.topics["state"], 0, [(b"blocker", b"never read", [])], txn=txn)
    ended = False
    w = env.start_worker("run2", catalog=catalog, extra=http)
    try:
        def pending():
            s, _p = scrape(port)
            return s if s and (one(s, "cspflow_restore_partitions", state="pending")
                               or 0) >= 1 else None
        s = wait_for("restore pending >= 1", pending, 90)
        rep.check("run 2: a restore is pending while a transaction is open on "
                  "the state topic", s is not None)
        code, body = get(port, "/readyz")
        rep.check("run 2: /readyz 503 while restoring", code == 503 and "restoring" in body,
                  f"{code} {body.strip()}")
        code, body = get(port, "/healthz")
        rep.check("run 2: /healthz 200 while restoring (the restore loop beats)",
                  code == 200, f"{code} {body.strip()}")
        rep.check("run 2: still restoring after those checks",
                  (one(scrape(port)[0] or {}, "cspflow_restore_partitions",
                       state="pending") or 0) >= 1)
        client.end_transaction(txn, False)
        ended = True
        code = wait_for("/readyz 200", lambda: get(port, "/readyz")[0] == 200, 120)
        rep.check("run 2: /readyz 200 once the transaction is aborted", code,
                  get(port, "/readyz")[1].strip())
        s, probs = scrape(port)
        s = s or {}
        rep.check("run 2: every partition restored, none pending",
                  one(s, "cspflow_restore_partitions", state="restored") == PARTITIONS
                  and one(s, "cspflow_restore_partitions", state="pending") == 0)
        got = one(s, "cspflow_restore_records_total")
        rep.check("run 2: restore records == committed records of the state topic",
                  got == state_records, f"{got} vs {state_records}")
        got_status = nonzero(by(s, "cspflow_migrations", "status"))
        rep.check("run 2: migrations by status (restored) == simulate --state",
                  got_status == dict(want_status), f"metrics {got_status}")
        handled = sum(by(s, "cspflow_inputs_total", "type").values())
        rep.check("run 2: no input handled again", handled == 0, f"{handled} inputs")
    finally:
        if not ended:
            client.end_transaction(txn, False)
        w.signal(signal.SIGTERM)
        w.wait(120)
    rep.check("run 2: worker exits 0 on SIGTERM", w.rc == 0, f"rc {w.rc}")
    client.close()
    if rep.failed:
        env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
