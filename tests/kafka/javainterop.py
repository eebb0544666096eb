"""The interop tests' shared body: a Java consumer and a Java producer,
built on Apache Avro's Java library (1.11.3) and the Apache Kafka Java
client (3.9.1), read what cspflow writes and write what it reads, through
a real broker, in one framing per test:

  test_java_interop.py   Avro single-object encoding (no registry.url)
  test_java_registry.py  the Confluent wire format: cspflow with
                         registry.url pointing at tests/registry/
                         fake_registry.py (the registry test double)

Input: every examples/*.jsonl plus a 60-migration scripts/gen-workload
stream, one file (keys do not overlap), with the examples' and the
workload's offer catalogs merged.

A. cspflow writes, Java reads. `cspflow produce` the input (lines that are
   not Avro-encodable as raw bytes, as test_examples does), `cspflow run
   --idle-exit`, then tests/kafka/java's `consume` reads the actions topic
   read_committed and decodes every record: single-object values with
   BinaryMessageDecoder (writer schema by fingerprint), Confluent-framed
   ones with GenericDatumReader(writer, reader), the writer schema fetched
   by id from the registry (GET /schemas/ids/ID). Asserts: every record
   decodes; per key, the decoded records (in Avro's JSON encoding) are
   `cspflow simulate`'s outputs for the same input, in the same order,
   converted to Avro's JSON encoding by the schemas (times to epoch ms,
   enum symbols to UPPER_SNAKE, optional fields to unions); each record's
   full name is its type's schema, its ce_type header names its type, its
   Kafka key is its event's key; its framing is the test's (Confluent: the
   id the registry holds for the subject <actions topic>-<full name>).
   The same records, fetched by kafkatest's read_committed reader, are
   decoded in Python by tests/kafka/fastavro_reader.py (fastavro from PyPI,
   pinned by requirements-fastavro.txt, in a venv under ~/.cache/cspflow,
   with --registry for Confluent values: the code docs/schemas.md shows)
   and must equal simulate's the same way.
B. Java writes, cspflow reads. The Avro-encodable input lines, converted to
   Avro's JSON encoding, go to tests/kafka/java's `produce` (the Java
   client's own partitioner), which writes them single-object encoded with
   BinaryMessageEncoder, or, with a registry, registers each type's schema
   under <events topic>-<full name> (POST /subjects/S/versions) and writes
   00 + id + the GenericDatumWriter body. Every events record is checked to
   be in that framing (Confluent: an id Java registered, which the registry
   holds as its subject's latest). `cspflow run --idle-exit`; `cspflow tail`
   of the actions topic equals simulate of those lines per key, byte for
   byte, and the DLQ holds one record per simulate rejection.

Java and Maven come from the machine; the jars from ~/.m2 (Maven Central
the first time, offline after). Without java/javac/mvn, or when Maven cannot
resolve the jars, the test skips (77), or fails under CSPFLOW_REQUIRE_ALL=1.
"""
import calendar
import collections
import datetime
import fcntl
import filecmp
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

JAVA_DIR = os.path.join(kt.ROOT, "tests", "kafka", "java")
AVSC_DIR = os.path.join(kt.ROOT, "schemas", "avro")
PARTITIONS = 4
MIGRATIONS = 60
FASTAVRO_REQ = os.path.join(kt.ROOT, "tests", "kafka", "requirements-fastavro.txt")
FASTAVRO_VENV = os.environ.get("CSPFLOW_FASTAVRO_VENV") or os.path.join(
    os.path.expanduser("~"), ".cache", "cspflow", "python-fastavro")
SEED = 20260415


# ------------------------------------------------- JSON lines -> Avro JSON

def _millis(iso):
    """The spec's time (2026-03-01T09:00:00Z or ...:00.123Z) as epoch ms."""
    base, _, frac = iso.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S")
    ms = int((frac + "000")[:3]) if frac else 0
    return calendar.timegm(t.timetuple()) * 1000 + ms


class AvroJson:
    """Converts cspflow's JSON lines (simulate's and the input's) into
    Avro's JSON encoding of the same datum, by the .avsc files: what a Java
    JsonEncoder prints for the record the worker wrote."""

    PRIMITIVES = {"null", "boolean", "int", "long", "float", "double",
                  "bytes", "string"}

    def __init__(self, schema_dir):
        self.schemas = {}
        for f in sorted(os.listdir(schema_dir)):
            if f.endswith(".avsc"):
                with open(os.path.join(schema_dir, f)) as fh:
                    self.schemas[f[:-5]] = json.load(fh)

    def convert(self, name, obj):
        names = {}
        s = self.schemas[name]
        return self._conv(s, obj, names, s.get("namespace", ""))

    @staticmethod
    def _full(t, ns):
        n = t["name"]
        ns = t.get("namespace", ns)
        return n if "." in n or not ns else f"{ns}.{n}"

    def _branch(self, t, ns):
        if isinstance(t, str):
            return t if t in self.PRIMITIVES or "." in t else f"{ns}.{t}"
        if t["type"] in ("record", "enum", "fixed"):
            return self._full(t, ns)
        if t["type"] in ("array", "map"):
            return t["type"]
        return t["type"]  # a primitive with a logicalType

    def _conv(self, t, v, names, ns):
        if isinstance(t, list):
            if v is None:
                if "null" not in t:
                    raise ValueError(f"null for {t}")
                return None
            b = next(x for x in t if x != "null")
            return {self._branch(b, ns): self._conv(b, v, names, ns)}
        if isinstance(t, str):
            if t in self.PRIMITIVES:
                return v
            full = t if "." in t else f"{ns}.{t}"
            return self._conv(names[full], v, names, ns)
        kind = t["type"]
        if kind == "record":
            full = self._full(t, ns)
            names[full] = t
            inner = full.rpartition(".")[0]
            out = {}
            for f in t["fields"]:
                if f["name"] in v:
                    x = v[f["name"]]
                elif isinstance(f["type"], list) and "null" in f["type"]:
                    x = None  # simulate leaves out an empty optional field
                else:
                    raise KeyError(f"{full}.{f['name']} missing in {v}")
                out[f["name"]] = self._conv(f["type"], x, names, inner)
            return out
        if kind == "enum":
            names[self._full(t, ns)] = t
            sym = v.replace("-", "_").upper()
            if sym not in t["symbols"]:
                raise ValueError(f"{v} is not a symbol of {t['name']}")
            return sym
        if kind == "array":
            return [self._conv(t["items"], x, names, ns) for x in v]
        if t.get("logicalType") == "timestamp-millis":
            return _millis(v)
        return self._conv(kind, v, names, ns)


# ------------------------------------------------------------ the Java side

def build_java(rep, work):
    """Classpath from Maven (offline first), javac; returns the java argv
    prefix."""
    for tool in ("java", "javac", "mvn"):
        if not shutil.which(tool):
            kt.skip_or_fail(f"{tool} not found")
    cp_file = os.path.join(work, "classpath.txt")
    log = ""
    for offline in (["-o"], []):
        p = subprocess.run(["mvn", "-q", "-B", *offline,
                            "dependency:build-classpath",
                            f"-Dmdep.outputFile={cp_file}"],
                           cwd=JAVA_DIR, capture_output=True, text=True,
                           timeout=900)
        log += p.stdout + p.stderr
        if p.returncode == 0:
            break
    else:
        print(log[-3000:])
        kt.skip_or_fail("Maven cannot resolve avro and kafka-clients")
    with open(cp_file) as f:
        cp = f.read().strip()
    classes = os.path.join(work, "classes")
    src = os.path.join(JAVA_DIR, "src", "main", "java", "io", "cspflow",
                       "kafka", "KafkaInterop.java")
    p = subprocess.run(["javac", "-d", classes, "-cp", cp, src],
                       capture_output=True, text=True, timeout=300)
    if not rep.check("the Java consumer/producer compiles", p.returncode == 0,
                     p.stderr[-2000:]):
        rep.finish()
    return ["java", "-cp", f"{classes}:{cp}", "io.cspflow.kafka.KafkaInterop"]


def java_consume(rep, java, env, topic, label, registry=None):
    argv = java + ["consume", env.bootstrap, env.topics[topic], AVSC_DIR]
    if registry:
        argv.append(registry)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    rep.check(f"{label}: the Java consumer decodes every record", p.returncode == 0,
              p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "")
    if p.returncode != 0:
        print(p.stderr[-3000:])
    rows = []
    for l in p.stdout.splitlines():
        part, off, key, framing, full, ce_type, datum = l.split("\t", 6)
        rows.append({"partition": int(part), "offset": int(off), "key": key,
                     "framing": framing, "full": full, "ce_type": ce_type,
                     "datum": json.loads(datum)})
    return rows


def fastavro_python(rep):
    """A venv with requirements-fastavro.txt (made once per requirements
    file, under a lock: checkouts share it); its python, or None."""
    py = os.path.join(FASTAVRO_VENV, "bin", "python")
    stamp = os.path.join(FASTAVRO_VENV, "installed-requirements.txt")
    os.makedirs(os.path.dirname(FASTAVRO_VENV), exist_ok=True)
    with open(FASTAVRO_VENV + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (os.path.exists(py) and os.path.exists(stamp)
                and filecmp.cmp(stamp, FASTAVRO_REQ, shallow=False)):
            return py
        shutil.rmtree(FASTAVRO_VENV, ignore_errors=True)
        for argv in ([sys.executable, "-m", "venv", FASTAVRO_VENV],
                     [py, "-m", "pip", "install", "-q", "-r", FASTAVRO_REQ]):
            p = subprocess.run(argv, capture_output=True, text=True,
                               timeout=600)
            if p.returncode != 0:
                why = f"{' '.join(argv[:4])}: exit {p.returncode}: {p.stderr[-800:]}"
                if os.environ.get("CSPFLOW_REQUIRE_ALL") == "1":
                    rep.check("A: a venv with fastavro", False, why)
                else:
                    rep.note(f"A: fastavro part skipped: {why}")
                return None
        shutil.copyfile(FASTAVRO_REQ, stamp)
        return py


def fastavro_check(rep, env, conv_want, reg=None):
    """The actions as kafkatest's read_committed fetch returns them, decoded
    by tests/kafka/fastavro_reader.py (the code of docs/schemas.md; writer
    schemas of Confluent values fetched from reg)."""
    py = fastavro_python(rep)
    if not py:
        return
    c = kt.KafkaClient(env.bootstrap)
    try:
        recs = c.fetch_committed(env.topics["actions"])
    finally:
        c.close()
    vdir = env.path("values")
    os.makedirs(vdir, exist_ok=True)
    files, keys = [], []
    for p in sorted(recs):
        for off, key, value, _h in recs[p]:
            f = os.path.join(vdir, f"p{p:04d}-{off:010d}.bin")
            with open(f, "wb") as fh:
                fh.write(value)
            files.append(f)
            keys.append(key.decode())
    r = subprocess.run([py, os.path.join(kt.ROOT, "tests", "kafka",
                                         "fastavro_reader.py"),
                        "--avro-json",
                        *(["--registry", reg.url] if reg else []),
                        AVSC_DIR, *files],
                       capture_output=True, text=True, timeout=600)
    lines = r.stdout.splitlines()
    rep.check("A: fastavro (Python) decodes every record",
              r.returncode == 0 and len(lines) == len(files),
              f"{len(lines)} of {len(files)}" if r.returncode == 0
              else r.stderr[-1500:])
    got = [(k, canon(json.loads(l.split("\t", 1)[1])))
           for k, l in zip(keys, lines)]
    compare(rep, "A: fastavro-decoded actions", conv_want, got)


# ------------------------------------------------------------------- input

def make_input(env):
    """(input path, catalog path): the examples then the workload."""
    wl, wl_cat = kt.gen_workload(env, MIGRATIONS, SEED)
    files = sorted(f for f in os.listdir(os.path.join(kt.ROOT, "examples"))
                   if f.endswith(".jsonl"))
    inp = env.path("input.jsonl")
    offers = collections.OrderedDict()
    with open(inp, "wb") as out:
        for f in files:
            path = os.path.join(kt.ROOT, "examples", f)
            with open(path, "rb") as fh:
                out.write(fh.read().rstrip(b"\n") + b"\n")
            cat = kt.catalog_for(path)
            for c in [cat] if cat else []:
                with open(c) as fh:
                    for o in json.load(fh)["offers"]:
                        offers[o["offer_id"]] = o
        with open(wl, "rb") as fh:
            out.write(fh.read())
    with open(wl_cat) as fh:
        for o in json.load(fh)["offers"]:
            offers.setdefault(o["offer_id"], o)
    catalog = env.path("input.catalog.json")
    with open(catalog, "w") as f:
        json.dump({"offers": list(offers.values())}, f)
    return inp, catalog


def canon(x):
    return json.dumps(x, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------- the parts

def framing_of(reg, env, topic_key, full, cache):
    """The framing the test wants for a record of full name on a topic:
    "single-object", or "confluent:<id of <topic>-<full>>"."""
    if reg is None:
        return "single-object"
    subject = f"{env.topics[topic_key]}-{full}"
    if subject not in cache:
        try:
            cache[subject] = reg.latest_id(subject)
        except OSError as e:  # urllib's HTTPError (404) is an OSError
            cache[subject] = f"? ({subject}: {e})"
    return f"confluent:{cache[subject]}"


def part_a(rep, binary, mode, java, conv, reg=None):
    """cspflow writes the actions, the Java consumer reads them."""
    env = new_env(binary, "a", mode, reg)
    inp, catalog = make_input(env)
    sim = env.simulate(inp, catalog)
    want = kt.actions_of_simulate(sim)
    types = sorted({json.loads(l)["type"] for l in want})
    rep.note(f"A: simulate gives {len(want)} actions of {len(types)} types")
    if kt.produce_input(rep, env, inp, sim, "A") is None:
        return
    w = env.run_worker("a", idle_exit=4, catalog=catalog)
    rep.check("A: cspflow run exits 0", w.rc == 0, f"exit {w.rc}")
    rows = java_consume(rep, java, env, "actions", "A",
                        reg.url if reg else None)
    want_avro = [canon(conv.convert(json.loads(l)["type"], json.loads(l)))
                 for l in want]
    want_keyed = [(kt.key_of(l), a) for l, a in zip(want, want_avro)]
    got_keyed = [(r["key"], canon(r["datum"])) for r in rows]
    compare(rep, "A: Java-decoded actions", want_keyed, got_keyed)
    fastavro_check(rep, env, want_keyed, reg)
    ids = {}
    bad = [r for r in rows
           if r["framing"] != framing_of(reg, env, "actions", r["full"], ids)
           or r["ce_type"] != "io.cspflow.migration." + r["datum"]["type"]
           or r["full"].rpartition(".")[2].lower()
           != r["datum"]["type"].replace("-", "")
           or r["key"] != f"{r['datum']['partner_id']}/"
                          f"{r['datum']['customer_tenant_id']}"]
    framing = ("Confluent-framed with its subject's id" if reg
               else "single-object")
    rep.check(f"A: every record is {framing}, its schema's full name, "
              "ce_type header and key name its event", rows and not bad,
              f"{len(rows)} records" + (f", {len(ids)} subjects" if reg else "")
              if not bad else str(bad[0])[:600])
    if rep.failed:
        env.dump_logs()


def compare(rep, label, want, got):
    """Per key, same records in the same order (want/got: [(key, text)])."""
    w, g = collections.OrderedDict(), collections.OrderedDict()
    for k, x in want:
        w.setdefault(k, []).append(x)
    for k, x in got:
        g.setdefault(k, []).append(x)
    diff = [k for k in set(w) | set(g) if w.get(k) != g.get(k)]
    info = f"{len(want)} from simulate, {len(got)} from Kafka, {len(w)} keys"
    if diff:
        k = sorted(diff)[0]
        a, b = w.get(k, []), g.get(k, [])
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
                 min(len(a), len(b)))
        info += (f"; {len(diff)} keys differ, first {k} at #{i}:\n"
                 f"       simulate: {a[i] if i < len(a) else '<end>'}\n"
                 f"       java:     {b[i] if i < len(b) else '<end>'}")
    rep.check(f"{label}: per key, simulate's records in the same order",
              not diff and len(want) == len(got), info)


def check_java_framing(rep, env, reg, java_err, n_good):
    """Every events record the Java producer wrote is in the test's
    framing; with a registry, its id one Java registered under
    <events topic>-<full name>, the subject's latest."""
    registered = {}  # id -> subject, from Java's "registered S ID" lines
    for l in java_err.splitlines():
        if l.startswith("registered "):
            _, subject, sid = l.split()
            registered[int(sid)] = subject
    c = kt.KafkaClient(env.bootstrap)
    try:
        values = [v for recs in c.fetch_committed(env.topics["events"]).values()
                  for _o, _k, v, _h in recs]
    finally:
        c.close()
    prefix = env.topics["events"] + "-io.cspflow.migration."
    if reg is None:
        bad = [v[:10].hex() for v in values if v[:2] != b"\xc3\x01"]
        what = "single-object"
    else:
        bad = [v[:5].hex() for v in values if v[:1] != b"\x00"
               or struct.unpack(">I", v[1:5])[0] not in registered]
        bad += [f"{s}: latest id not {i}" for i, s in registered.items()
                if not s.startswith(prefix) or reg.latest_id(s) != i]
        what = ("Confluent-framed, ids Java registered under "
                "<topic>-<record full name>")
    rep.check(f"B: every Java record on the events topic is {what}",
              len(values) == n_good and not bad,
              f"{len(values)} records" + (f", {len(registered)} subjects"
                                          if reg else "")
              + (f"; {bad[:3]}" if bad else ""))


def part_b(rep, binary, mode, java, conv, reg=None):
    """The Java producer writes the inputs, cspflow handles them."""
    env = new_env(binary, "b", mode, reg)
    inp, catalog = make_input(env)
    good, _raw = kt.split_input(inp, env.simulate(inp, catalog))
    good_path = env.path("input-good.jsonl")
    with open(good_path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in good))
    sim = env.simulate(good_path, catalog)
    want = kt.actions_of_simulate(sim)
    want_rej = kt.rejections_of_simulate(sim)
    avro_path = env.path("input-avro-json.txt")
    with open(avro_path, "w") as f:
        for l in good:
            o = json.loads(l)
            f.write(f"{o['type']}\t{canon(conv.convert(o['type'], o))}\n")
    p = subprocess.run(java + ["produce", env.bootstrap, env.topics["events"],
                               AVSC_DIR, str(PARTITIONS), avro_path]
                       + ([reg.url] if reg else []),
                       capture_output=True, text=True, timeout=600)
    if not rep.check(f"B: the Java producer writes {len(good)} events",
                     p.returncode == 0 and f"produced {len(good)}" in p.stderr,
                     p.stderr.strip().splitlines()[-1] if p.returncode == 0
                     else p.stderr.strip()[-1500:]):
        return
    check_java_framing(rep, env, reg, p.stderr, len(good))
    w = env.run_worker("b", idle_exit=4, catalog=catalog)
    rep.check("B: cspflow run exits 0", w.rc == 0, f"exit {w.rc}")
    s = w.summary or {}
    rep.check("B: the worker consumed every Java record",
              s.get("consumed") == len(good),
              f"consumed {s.get('consumed')}, produced {len(good)}")
    kt.compare_per_key(rep, "B: actions of Java's events", want,
                       env.tail("actions"))
    dlq = env.tail("dlq")
    rep.check("B: one DLQ record per simulate rejection",
              len(dlq) == len(want_rej),
              f"{len(dlq)} in the DLQ, {len(want_rej)} from simulate")
    if rep.failed:
        env.dump_logs()


def new_env(binary, part, mode, reg):
    """The part's topics and config (registry.url when reg)."""
    name = f"java{'-reg' if reg else ''}-{part}-{mode}"
    return kt.Env(binary, name, mode, partitions=PARTITIONS,
                  extra=[f"registry.url={reg.url}"] if reg else None)


def run(title, registry_port_var=None, registry_port=None):
    """The test: parts A and B, single-object, or with the registry test
    double on 127.0.0.1:$registry_port_var, default registry_port
    (Confluent framing)."""
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"{title} ({mode})")
    kt.bootstrap()
    work = tempfile.mkdtemp(prefix=f"cspflow-java-{mode}-")
    kt._SCRATCH.append(work)
    java = build_java(rep, work)
    conv = AvroJson(AVSC_DIR)
    reg = None
    if registry_port_var:
        reg = kt.FakeRegistry(int(os.environ.get(registry_port_var,
                                                 str(registry_port))),
                              registry_port_var)
    try:
        part_a(rep, binary, mode, java, conv, reg)
        part_b(rep, binary, mode, java, conv, reg)
    finally:
        if reg:
            reg.stop()
    rep.finish()
