"""The worker with a schema registry (registry.url), through Kafka.

The registry is tests/registry/fake_registry.py, a test double of the
Confluent Schema Registry REST API (docs/registry.md says why not a real
one), on 127.0.0.1:$CSPFLOW_REGISTRY_KAFKA_TEST_PORT (default 18110).

The happy path of examples/01 goes to the events topic in four parts:
  A  migration-requested                   cspflow produce (Confluent framing,
                                           its subject registered by produce)
  B  invitation-accepted, subscription-    written here with an OLDER writer
     provisioned                           schema (v1: no correlation_id, no
                                           type; both have defaults in the
                                           reader)
  C  subscription-provisioned, subscription- a NEWER writer schema (v2: extra
     near-expiry                           fields the reader lacks: a string,
                                           a map), read while the registry
                                           answers 503 five times: the batch
                                           is aborted, retried, nothing lost;
     + a Confluent record whose schema id the registry does not know
  D  the rest                              cspflow produce

Checks: the worker exits 0; the actions (cspflow tail, which asks the
registry too) equal `cspflow simulate` of the same events as the current
schema would carry them (v1 lines without correlation_id); every action and
audit record is in the Confluent wire format with the id the registry gave
its subject `<topic>-<record full name>`; states stay single-object; the
unknown id is in the DLQ as unknown-schema naming the id; the retries were
logged and counted as aborts; a worker whose registry is down at start says
so and exits 1 after registry.startup.timeout.ms without writing anything.

usage: test_registry.py CSPFLOW [--mode eos|at-least-once]
"""
import calendar
import datetime
import json
import os
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

NS = "io.cspflow.migration"
UNKNOWN_ID = 999999


# ------------------------------------------------- a minimal Avro encoder

def _zigzag(n):
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def avro_encode(schema, value, named=None):
    """value (JSON-like) in Avro binary per schema (parsed JSON). Enough
    for cspflow's event schemas and the variants built here."""
    named = {} if named is None else named
    if isinstance(schema, str):
        if schema in named:
            return avro_encode(named[schema], value, named)
        schema = {"type": schema}
    if isinstance(schema, list):  # union: null, else the first other branch
        i = next(i for i, b in enumerate(schema)
                 if (b == "null") == (value is None))
        return _zigzag(i) + avro_encode(schema[i], value, named)
    t = schema["type"]
    if isinstance(t, (dict, list)):
        return avro_encode(t, value, named)
    if "name" in schema:
        named[schema["name"]] = schema
    if t == "null":
        return b""
    if t == "boolean":
        return b"\x01" if value else b"\x00"
    if t in ("int", "long"):
        return _zigzag(int(value))
    if t == "string":
        b = value.encode()
        return _zigzag(len(b)) + b
    if t == "enum":
        return _zigzag(schema["symbols"].index(value.upper().replace("-", "_")))
    if t == "array":
        if not value:
            return b"\x00"
        return (_zigzag(len(value)) + b"".join(avro_encode(schema["items"], v, named)
                                                for v in value) + b"\x00")
    if t == "map":
        if not value:
            return b"\x00"
        return (_zigzag(len(value)) + b"".join(
            avro_encode("string", k) + avro_encode(schema["values"], v, named)
            for k, v in value.items()) + b"\x00")
    if t == "record":
        return b"".join(avro_encode(f["type"], value.get(f["name"], f.get("default")), named)
                        for f in schema["fields"])
    raise ValueError(f"type {t} not supported here")


def millis(iso):
    dt = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def as_datum(schema, event):
    """A JSON event as the values a writer of schema would write."""
    out = {}
    for f in schema["fields"]:
        v = event.get(f["name"])
        t = f["type"]
        if isinstance(t, dict) and t.get("logicalType") == "timestamp-millis":
            v = millis(v)
        out[f["name"]] = v
    return out


def reader_schema(typ):
    with open(os.path.join(kt.ROOT, "schemas", "avro", f"{typ}.avsc")) as f:
        return json.load(f)


def v1_schema(typ):
    """An older writer: no correlation_id, no type (the reader's defaults)."""
    s = reader_schema(typ)
    s["fields"] = [f for f in s["fields"]
                   if f["name"] not in ("correlation_id", "type")]
    return s


def v2_schema(typ):
    """A newer writer: two fields the reader lacks, one between its own."""
    s = reader_schema(typ)
    s["fields"].insert(3, {"name": "source_system", "type": "string"})
    s["fields"].append({"name": "labels",
                        "type": {"type": "map", "values": "string"}})
    return s


# ------------------------------------------------------------ the test

def main():
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"kafka registry ({mode})")
    port = int(os.environ.get("CSPFLOW_REGISTRY_KAFKA_TEST_PORT", "18110"))
    kt.bootstrap()
    reg = kt.FakeRegistry(port, "CSPFLOW_REGISTRY_KAFKA_TEST_PORT")
    try:
        run(binary, mode, rep, reg)
    finally:
        reg.stop()
    rep.finish()


def run(binary, mode, rep, reg):
    env = kt.Env(binary, f"registry-{mode}", mode,
                 extra=[f"registry.url={reg.url}", "registry.retries=1",
                        "registry.retry.backoff.ms=50"])
    with open(os.path.join(kt.ROOT, "examples", "01-happy-path.jsonl")) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    part_a, part_b, part_c, part_d = lines[:1], lines[1:3], lines[3:5], lines[5:]
    topic = env.topics["events"]

    # what the current schema would carry: v1 lines have no correlation_id
    expected = part_a + [{k: v for k, v in e.items() if k != "correlation_id"}
                         for e in part_b] + part_c + part_d
    exp_path = env.path("expected.jsonl")
    with open(exp_path, "w") as f:
        f.write("".join(json.dumps(e) + "\n" for e in expected))
    want = kt.actions_of_simulate(env.simulate(exp_path))

    def produce_json(name, evs):
        p = env.path(name)
        with open(p, "w") as f:
            f.write("".join(json.dumps(e) + "\n" for e in evs))
        rc, err = env.produce(p)
        rep.check(f"cspflow produce {name} ({len(evs)} events) exits 0",
                  rc == 0, "" if rc == 0 else f"exit {rc}: {err[-600:]}")

    client = kt.KafkaClient(env.bootstrap)
    n_parts = None
    ids = {}

    def register(typ, version):
        """The v1 or v2 schema of typ under the events topic's subject."""
        schema = (v1_schema if version == 1 else v2_schema)(typ)
        if (typ, version) not in ids:
            ids[(typ, version)] = reg.register(
                f"{topic}-{NS}.{schema['name']}", schema)
        return schema, ids[(typ, version)]

    def produce_raw(evs, version):
        """Confluent records of evs written with the v1 or v2 schema of
        their type."""
        nonlocal n_parts
        for e in evs:
            schema, sid = register(e["type"], version)
            datum = as_datum(schema, dict(e, source_system="crm-9",
                                          labels={"region": "eu"}))
            value = b"\x00" + struct.pack(">I", sid) + avro_encode(schema, datum)
            key = f"{e['partner_id']}/{e['customer_tenant_id']}".encode()
            n_parts = n_parts or len(client.partitions(topic))
            client.produce(topic, kt.default_partition(key, n_parts),
                           [(key, value, [])])
        rep.note(f"{len(evs)} record(s) written with writer schema v{version}")

    produce_json("part-a.jsonl", part_a)
    produce_raw(part_b, 1)
    w = env.start_worker("main", idle_exit=8)
    rep.check("the worker catches up with parts A and B",
              kt.wait_caught_up(env, timeout=120))

    # C: new writer ids, read while the registry answers 503 five times
    for e in part_c:  # registered before the faults: the worker asks
        register(e["type"], 2)
    reg.call("POST", "/_test/faults", {"fail": 5, "status": 503})
    produce_raw(part_c, 2)
    key = b"partner-contoso/tenant-unknown-id"
    body = avro_encode(reader_schema("invitation-accepted"), as_datum(
        reader_schema("invitation-accepted"),
        dict(lines[1], event_id="evt-unknown-id",
             customer_tenant_id="tenant-unknown-id")))
    unknown_part = kt.default_partition(key, n_parts)
    unknown_off = client.produce(topic, unknown_part, [
        (key, b"\x00" + struct.pack(">I", UNKNOWN_ID) + body, [])])
    rep.check("the worker catches up with part C through the 503s",
              kt.wait_caught_up(env, timeout=120))
    reg.call("DELETE", "/_test/faults")
    produce_json("part-d.jsonl", part_d)
    w.wait(300)
    rep.check("the worker exits 0", w.rc == 0, f"exit {w.rc}")
    summary = w.summary or {}
    with open(w.log, errors="replace") as f:
        log = f.read()
    rep.check("the registry's 503s aborted and retried a batch (logged, "
              "counted as aborts)",
              summary.get("aborts", 0) >= 1 and "registry unavailable" in log
              and "the batch is retried" in log,
              f"aborts {summary.get('aborts')}")
    rep.check("every input counted: 8 events + 1 unknown id",
              summary.get("consumed") == 9 and summary.get("rejected") == 1,
              json.dumps(summary))

    got = env.tail("actions")
    kt.compare_per_key(rep, "actions vs simulate", want, got,
                       allow_duplicates=mode != "eos")

    # the framing of what the worker wrote
    subject_ids = {}

    def id_of(topic_key, record):
        s = f"{env.topics[topic_key]}-{NS}.{record}"
        if s not in subject_ids:
            subject_ids[s] = reg.latest_id(s)
        return subject_ids[s]

    names = {}
    for fn in os.listdir(os.path.join(kt.ROOT, "schemas", "avro")):
        if fn.endswith(".avsc"):
            names[fn[:-5]] = reader_schema(fn[:-5])["name"]
    bad = []
    actions = client.fetch_committed(env.topics["actions"])
    n_actions = 0
    for p, recs in actions.items():
        for off, _k, v, hdrs in recs:
            n_actions += 1
            ce = dict((hk, hv) for hk, hv in hdrs).get("ce_type", b"").decode()
            typ = ce.rsplit(".", 1)[-1]
            want_id = id_of("actions", names.get(typ, "?"))
            if v[:1] != b"\x00" or struct.unpack(">I", v[1:5])[0] != want_id:
                bad.append((p, off, v[:5].hex(), typ, want_id))
    rep.check("actions: Confluent wire format, the id of <topic>-<record name>",
              n_actions > 0 and not bad, f"{n_actions} records; {bad[:3]}")
    audit_id = id_of("audit", "AuditRecord")
    audits = [v for recs in client.fetch_committed(env.topics["audit"]).values()
              for _o, _k, v, _h in recs]
    rep.check("audit: Confluent wire format, the AuditRecord subject's id",
              audits and all(v[:1] == b"\x00" and struct.unpack(">I", v[1:5])[0]
                             == audit_id for v in audits),
              f"{len(audits)} records, id {audit_id}")
    states = [v for recs in client.fetch_committed(env.topics["state"]).values()
              for _o, _k, v, _h in recs]
    rep.check("state: single-object (C3 01), not the registry's framing",
              states and all(v[:2] == b"\xc3\x01" for v in states),
              f"{len(states)} records")
    dlq = [json.loads(l) for l in env.tail("dlq")]
    rep.check("the unknown schema id is in the DLQ: unknown-schema, naming it",
              len(dlq) == 1 and dlq[0]["reason"].startswith("unknown-schema: ")
              and str(UNKNOWN_ID) in dlq[0]["reason"]
              and dlq[0]["source_partition"] == unknown_part
              and dlq[0]["source_offset"] == unknown_off,
              json.dumps(dlq)[:400])
    client.close()

    # registry down at start: clear log, no record, exit 1 at the deadline
    down = kt.Env(binary, f"registry-down-{mode}", mode,
                  extra=["registry.url=http://127.0.0.1:1",
                         "registry.startup.timeout.ms=2000",
                         "registry.retries=0"])
    w = down.run_worker("down", idle_exit=5, timeout=120)
    with open(w.log, errors="replace") as f:
        log = f.read()
    rep.check("registry down at start: exit 1, saying so",
              w.rc == 1 and "schema registry unavailable" in log,
              f"exit {w.rc}; {log.strip().splitlines()[-1:]}")
    c = kt.KafkaClient(down.bootstrap)
    n = sum(c.end_offsets(down.topics["actions"]).values())
    c.close()
    rep.check("registry down at start: nothing written", n == 0, f"{n} records")


if __name__ == "__main__":
    main()
