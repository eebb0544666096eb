"""Shared helpers of the Kafka integration tests (tests/kafka/test_*.py).

Each test is one CTest test (label `kafka`), run as
    python3 tests/kafka/test_X.py CSPFLOW_BINARY [AVRO_INTEROP_TOOL] [--mode M]
from the source tree, against the broker named by CSPFLOW_BOOTSTRAP
(scripts/test starts one with scripts/kafka-local). Without it a test exits
77 (CTest: skipped), or 1 (failed) when CSPFLOW_REQUIRE_ALL=1.

Every test uses its own topic names (a config file for cspflow with a
unique prefix), so tests never see each other's records, and the broker can
be shared by several runs.

Also here: a minimal Kafka protocol client (stdlib only) used where the CLI
cannot help: producing arbitrary bytes (bad input), the end offsets of a
topic (progress of the worker), and a read_committed fetch that reads the
records' raw values and headers independently of `cspflow tail`; and
FakeRegistry, which runs tests/registry/fake_registry.py for a test.
"""
import collections
import json
import os
import shutil
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zlib

_SCRATCH = []
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = 77


# --------------------------------------------------------------- reporting

class Report:
    """Counts checks; every check prints one line saying what it compared."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        self.t0 = time.monotonic()

    def check(self, what, cond, info=""):
        if cond:
            self.passed += 1
            print(f"ok   {what}" + (f" ({info})" if info else ""), flush=True)
        else:
            self.failed.append(what)
            print(f"FAIL {what}" + (f": {info}" if info else ""), flush=True)
        return cond

    def note(self, msg):
        print(f"     {msg}", flush=True)

    def finish(self):
        dt = time.monotonic() - self.t0
        # Scratch dirs (inputs, config, worker logs) are kept only when
        # something failed.
        for d in _SCRATCH:
            if self.failed:
                print(f"     kept {d}")
            else:
                shutil.rmtree(d, ignore_errors=True)
        print(f"{self.name}: {dt:.1f}s")
        print(f"{self.passed} passed, {len(self.failed)} failed")
        sys.exit(1 if self.failed else 0)


def skip_or_fail(why):
    """No broker (or no tool): skip, unless the test command requires all."""
    if os.environ.get("CSPFLOW_REQUIRE_ALL") == "1":
        print(f"FAIL {why} (CSPFLOW_REQUIRE_ALL=1: a missing broker fails)")
        print("0 passed, 1 failed")
        sys.exit(1)
    print(f"skipped: {why}")
    sys.exit(SKIP)


def bootstrap():
    b = os.environ.get("CSPFLOW_BOOTSTRAP", "").strip()
    if not b:
        skip_or_fail("CSPFLOW_BOOTSTRAP is not set: no Kafka broker "
                     "(start one: export CSPFLOW_BOOTSTRAP=$(scripts/kafka-local start))")
    host, _, port = b.split(",")[0].rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as e:
        skip_or_fail(f"no Kafka broker answers on {b}: {e}")
    return b


def args(argv=None):
    """(cspflow binary, other positional args, mode)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    mode = "eos"
    if "--mode" in argv:
        i = argv.index("--mode")
        mode = argv[i + 1]
        del argv[i:i + 2]
    if not argv:
        sys.exit(f"usage: {sys.argv[0]} CSPFLOW [...] [--mode eos|at-least-once]")
    return os.path.abspath(argv[0]), argv[1:], mode


# --------------------------------------------------------------- cspflow

class Env:
    """One test's topics, config file and scratch directory."""

    def __init__(self, binary, name, mode="eos", partitions=None, extra=None):
        self.bin = binary
        self.bootstrap = bootstrap()
        self.mode = mode
        self.dir = tempfile.mkdtemp(prefix=f"cspflow-{name}-")
        _SCRATCH.append(self.dir)
        stamp = f"{int(time.time())}-{os.getpid()}"
        self.prefix = f"it.{name}.{stamp}"
        self.topics = {k: f"{self.prefix}.{k}"
                       for k in ("events", "actions", "audit", "state", "dlq")}
        self.group = f"{self.prefix}.group"
        self.partitions = partitions
        lines = [f"topic.{k}={v}" for k, v in self.topics.items()]
        if partitions:
            lines.append(f"topics.partitions={partitions}")
        # A killed worker's group membership expires after the session
        # timeout; the broker's minimum (6 s) keeps restarts quick.
        lines.append("kafka.session.timeout.ms=6000")
        lines.extend(extra or [])
        self.config = os.path.join(self.dir, "cspflow.conf")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.logs = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def cmd(self, sub, *rest):
        return [self.bin, sub, "--bootstrap", self.bootstrap, *rest]

    def produce(self, path, topic=None, extra=()):
        """cspflow produce FILE; returns (exit status, stderr)."""
        p = subprocess.run(self.cmd("produce", "--config", self.config,
                                    "--topic", topic or self.topics["events"],
                                    *extra, path),
                           capture_output=True, text=True, timeout=600)
        return p.returncode, p.stderr

    def start_worker(self, tag, catalog=None, idle_exit=None, txn_id=None,
                     group=None, mode=None, extra=()):
        """cspflow run in the background; stderr goes to a log file. extra:
        more arguments of run."""
        argv = self.cmd("run", "--config", self.config,
                        "--group", group or self.group,
                        "--mode", mode or self.mode)
        if catalog:
            argv += ["--catalog", catalog]
        if txn_id:
            argv += ["--transactional-id", txn_id]
        if idle_exit is not None:
            argv += ["--idle-exit", str(idle_exit)]
        argv += list(extra)
        log = self.path(f"worker-{tag}.log")
        self.logs.append(log)
        f = open(log, "w")
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=f)
        f.close()
        return Worker(proc, log, argv)

    def run_worker(self, tag, idle_exit=5, timeout=900, **kw):
        """cspflow run --idle-exit: waits; returns the Worker (rc, summary)."""
        w = self.start_worker(tag, idle_exit=idle_exit, **kw)
        w.wait(timeout)
        return w

    def tail(self, topic_key="actions", idle_exit=4, timeout=600):
        """read_committed records of a topic as JSON lines (strings)."""
        p = subprocess.run(self.cmd("tail", "--config", self.config,
                                    "--topic", self.topics[topic_key],
                                    "--from-beginning",
                                    "--idle-exit", str(idle_exit)),
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"cspflow tail {self.topics[topic_key]}: exit "
                               f"{p.returncode}: {p.stderr[-2000:]}")
        return [l for l in p.stdout.splitlines() if l.strip()]

    def simulate(self, path, catalog=None):
        argv = [self.bin, "simulate"]
        if catalog:
            argv += ["--catalog", catalog]
        p = subprocess.run(argv + [path], capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"simulate {path}: exit {p.returncode}: {p.stderr}")
        return [l for l in p.stdout.splitlines() if l.strip()]

    def dump_logs(self, n=30):
        for log in self.logs:
            try:
                with open(log, errors="replace") as f:
                    tail = f.read().splitlines()[-n:]
            except OSError:
                continue
            print(f"---- last lines of {log}")
            for l in tail:
                print("    " + l)


class Worker:
    def __init__(self, proc, log, argv):
        self.proc = proc
        self.log = log
        self.argv = argv
        self.rc = None
        self.summary = None

    def wait(self, timeout=None):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = self.proc.wait()
            print(f"     worker {self.log} did not exit within {timeout}s: killed")
            self.rc = "timeout"
        self.summary = summary_of(self.log)
        return self.rc

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL and reap; no summary (a killed worker prints none)."""
        self.signal(signal.SIGKILL)
        self.rc = self.proc.wait()
        return self.rc

    def alive(self):
        return self.proc.poll() is None


def log_messages(log):
    """(level, component, msg) of every line cspflow logged (common/log.h:
    JSON lines off a terminal; the plain lines of other output as
    (None, None, line))."""
    out = []
    try:
        with open(log, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for l in lines:
        o = None
        if l.startswith("{"):
            try:
                o = json.loads(l)
            except ValueError:
                pass
        if isinstance(o, dict) and "msg" in o:
            out.append((o.get("level"), o.get("component"), o["msg"]))
        else:
            out.append((None, None, l))
    return out


def summary_of(log):
    """The last JSON object line of a worker's stderr with the summary keys."""
    try:
        with open(log, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for l in reversed(lines):
        l = l.strip()
        if l.startswith("{") and '"consumed"' in l:
            try:
                return json.loads(l)
            except ValueError:
                pass
    return None


# --------------------------------------------------------------- comparing

def key_of(line):
    o = json.loads(line)
    return f"{o.get('partner_id')}/{o.get('customer_tenant_id')}"


def by_key(lines):
    d = collections.OrderedDict()
    for l in lines:
        d.setdefault(key_of(l), []).append(l)
    return d


def actions_of_simulate(lines):
    return [l for l in lines if json.loads(l).get("type") != "event-rejected"]


def rejections_of_simulate(lines):
    return [json.loads(l) for l in lines
            if json.loads(l).get("type") == "event-rejected"]


def compare_per_key(rep, label, want_lines, got_lines, allow_duplicates=False):
    """Per key: got == want, same order. With allow_duplicates, a record may
    appear more than once in got if it is byte-identical to an earlier one
    of its key; got with repeats removed must still equal want. Returns the
    number of extra (duplicate) records."""
    want, got = by_key(want_lines), by_key(got_lines)
    missing_keys = [k for k in want if k not in got]
    extra_keys = [k for k in got if k not in want]
    diff_keys, dups = [], 0
    first_diff = None
    for k, w in want.items():
        g = got.get(k, [])
        if allow_duplicates:
            seen, dedup = set(), []
            for l in g:
                if l in seen:
                    dups += 1
                else:
                    seen.add(l)
                    dedup.append(l)
            g = dedup
        if g != w:
            diff_keys.append(k)
            if first_diff is None:
                i = next((i for i in range(min(len(g), len(w))) if g[i] != w[i]),
                         min(len(g), len(w)))
                first_diff = (k, i, w[i] if i < len(w) else "<end>",
                              g[i] if i < len(g) else "<end>")
    n_w, n_g = len(want_lines), len(got_lines)
    rep.check(f"{label}: keys in Kafka == keys in simulate",
              not missing_keys and not extra_keys,
              f"{len(want)} keys; missing {missing_keys[:5]} extra {extra_keys[:5]}"
              if missing_keys or extra_keys else f"{len(want)} keys")
    info = f"{n_w} records from simulate, {n_g} from Kafka"
    if allow_duplicates:
        info += f", {dups} duplicates"
    if first_diff:
        k, i, w, g = first_diff
        info += (f"; {len(diff_keys)} keys differ, first {k} at #{i}:\n"
                 f"       simulate: {w}\n       kafka:    {g}")
    rep.check(f"{label}: per key, same records in the same order"
              + (" (duplicates allowed)" if allow_duplicates else ""),
              not diff_keys and not missing_keys and not extra_keys, info)
    return dups


# Codes under which simulate rejects a line that the JSON -> Avro step of
# `cspflow produce` cannot write at all.
NOT_ENCODABLE = {"malformed", "unknown-type", "missing-field", "wrong-type",
                 "invalid-value"}


def split_input(path, sim_lines):
    """The lines of path as (lines for cspflow produce, raw lines), by
    simulate's verdicts (its reasons name the line)."""
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    raw_nos = set()
    for r in rejections_of_simulate(sim_lines):
        m = re.match(r"([a-z-]+): line (\d+): ", r["reason"])
        if m and m.group(1) in NOT_ENCODABLE:
            raw_nos.add(int(m.group(2)))
    good = [l for i, l in enumerate(lines, 1) if i not in raw_nos and l.strip()]
    raw = [l for i, l in enumerate(lines, 1) if i in raw_nos]
    return good, raw


def raw_key(line):
    try:
        o = json.loads(line)
        return f"{o['partner_id']}/{o['customer_tenant_id']}".encode()
    except (ValueError, KeyError, TypeError):
        return None


def produce_input(rep, env, path, sim_lines, label):
    """Puts the input file on env's events topic: the Avro-encodable lines
    with `cspflow produce`, the others as raw bytes (the worker must
    dead-letter them as malformed). Returns the number of records, or None
    when cspflow produce failed."""
    good, raw = split_input(path, sim_lines)
    good_path = env.path("input-avro.jsonl")
    with open(good_path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in good))
    t0 = time.monotonic()
    rc, err = env.produce(good_path)
    if not rep.check(f"{label}: cspflow produce of {len(good)} lines exits 0",
                     rc == 0, f"exit {rc}: {err[-800:]}" if rc else
                     f"{time.monotonic() - t0:.1f}s"):
        return None
    if raw:
        c = KafkaClient(env.bootstrap)
        parts = c.partitions(env.topics["events"])
        for l in raw:
            k = raw_key(l)
            p = default_partition(k, len(parts)) if k else parts[0]
            c.produce(env.topics["events"], p, [(k, l, [])])
        c.close()
        rep.note(f"{label}: {len(raw)} lines that are not Avro-encodable sent as raw bytes")
    return len(good) + len(raw)


def gen_workload(env, migrations, seed):
    """scripts/gen-workload into env's scratch dir: (input, catalog) paths."""
    inp, catalog = env.path("workload.jsonl"), env.path("catalog.json")
    with open(inp, "w") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-workload"),
                        "--migrations", str(migrations), "--seed", str(seed),
                        "--catalog-out", catalog], stdout=f, check=True)
    return inp, catalog


def committed_progress(client, group, topic):
    """(inputs the group has committed, inputs on the topic)."""
    end = client.end_offsets(topic)
    got = client.committed_offsets(group, topic)
    return (sum(min(max(got.get(p, -1), 0), e) for p, e in end.items()),
            sum(end.values()))


def wait_caught_up(env, group=None, timeout=300):
    """Waits until group's committed offsets reach the end of the events
    topic; True if they did."""
    c = KafkaClient(env.bootstrap)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done, total = committed_progress(c, group or env.group, env.topics["events"])
            if done == total:
                return True
            time.sleep(0.5)
        return False
    finally:
        c.close()


def catalog_for(example):
    c = example[:-len(".jsonl")] + ".catalog.json"
    return c if os.path.exists(c) else None


def run_all_examples(rep, env, label="examples"):
    """Every examples/*.jsonl, one after the other, on env's events topic
    (their catalogs merged into one), then `cspflow run --idle-exit` until
    it is idle. Returns (input path, catalog path, simulate's lines, the
    Worker), or None when producing failed."""
    import glob
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "*.jsonl")))
    offers = []
    for f in files:
        c = catalog_for(f)
        if c:
            with open(c) as fp:
                offers.extend(json.load(fp)["offers"])
    catalog = env.path("catalog.json")
    with open(catalog, "w") as fp:
        json.dump({"offers": offers}, fp)
    inp = env.path("examples.jsonl")
    with open(inp, "wb") as out:
        for f in files:
            with open(f, "rb") as fp:
                data = fp.read()
            out.write(data if data.endswith(b"\n") else data + b"\n")
    sim = env.simulate(inp, catalog)
    if produce_input(rep, env, inp, sim, label) is None:
        return None
    w = env.run_worker("1", catalog=catalog, idle_exit=3, timeout=300)
    rep.check(f"{label}: cspflow run --idle-exit exits 0", w.rc == 0, f"exit {w.rc}")
    return inp, catalog, sim, w


# ------------------------------------------------ the registry test double

class FakeRegistry:
    """tests/registry/fake_registry.py (a test double of the Confluent
    Schema Registry REST API, docs/registry.md) in a subprocess on
    127.0.0.1:port, and its REST API. stop() ends it."""

    def __init__(self, port, port_var):
        """port_var: the environment variable that sets port, named when
        the port is taken."""
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "registry",
                                          "fake_registry.py"),
             "--port", str(port)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                # ours, not another test's double on the same port
                if self.call("GET", "/_test/stats").get("pid") == self.proc.pid:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"fake registry did not start on port {port} (taken? "
                    f"set {port_var})")
            time.sleep(0.1)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def register(self, subject, schema):
        s = urllib.parse.quote(subject, safe="")
        return self.call("POST", f"/subjects/{s}/versions",
                         {"schema": json.dumps(schema)})["id"]

    def latest_id(self, subject):
        s = urllib.parse.quote(subject, safe="")
        return self.call("GET", f"/subjects/{s}/versions/latest")["id"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


# ------------------------------------------------------ the Kafka protocol
# Just enough of it (https://kafka.apache.org/protocol) for the tests:
# Metadata v1, Produce v3 (record batch v2), ListOffsets v2, Fetch v4.

def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _varint(n):
    n = (n << 1) ^ (n >> 63)  # zigzag
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf, pos):
    shift = n = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return (n >> 1) ^ -(n & 1), pos


def _str(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _bytes(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


class _Reader:
    def __init__(self, buf):
        self.b, self.p = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p)
        self.p += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.b[self.p:self.p + n].decode()
        self.p += n
        return s

    def bytes(self):
        n = self.take(">i")
        if n < 0:
            return None
        s = self.b[self.p:self.p + n]
        self.p += n
        return s


class KafkaError(RuntimeError):
    def __init__(self, what, code):
        super().__init__(f"{what}: Kafka error {code}")
        self.code = code


# Errors a fresh topic or group gives for a moment (leader not yet known,
# coordinator loading, a transaction still ending): retried.
RETRIABLE = {3, 5, 6, 14, 15, 16, 51}


def _retrying(fn):
    def wrapper(*a, **kw):
        deadline = time.monotonic() + 30
        while True:
            try:
                return fn(*a, **kw)
            except KafkaError as e:
                if e.code not in RETRIABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    wrapper.__doc__ = fn.__doc__
    return wrapper


class KafkaClient:
    """One connection to a single-node cluster (the tests' broker). Errors
    that a fresh topic or group gives for a moment are retried (30 s)."""

    def __init__(self, bootstrap_addr):
        host, _, port = bootstrap_addr.split(",")[0].rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.corr = 0

    def close(self):
        self.sock.close()

    def _call(self, api_key, version, body):
        self.corr += 1
        hdr = struct.pack(">hhi", api_key, version, self.corr) + _str("cspflow-it")
        msg = hdr + body
        self.sock.sendall(struct.pack(">i", len(msg)) + msg)
        n = struct.unpack(">i", self._recv(4))[0]
        resp = self._recv(n)
        corr = struct.unpack_from(">i", resp)[0]
        if corr != self.corr:
            raise RuntimeError(f"correlation id {corr} != {self.corr}")
        return _Reader(resp[4:])

    def _recv(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("broker closed the connection")
            buf += chunk
        return bytes(buf)

    @_retrying
    def partitions(self, topic):
        """Partition ids of topic (Metadata v1), [] if it does not exist;
        waits until every partition has a leader."""
        r = self._call(3, 1, struct.pack(">i", 1) + _str(topic))
        for _ in range(r.take(">i")):  # brokers
            r.take(">i"), r.string(), r.take(">i"), r.string()
        r.take(">i")  # controller
        parts = []
        for _ in range(r.take(">i")):
            err, name, _internal = r.take(">h"), r.string(), r.take(">?")
            if name == topic and err == 3:
                return []  # unknown topic
            if name == topic and err:
                raise KafkaError(f"metadata of {topic}", err)
            for _ in range(r.take(">i")):
                perr, pid, leader = r.take(">hii")
                for _ in range(r.take(">i")):
                    r.take(">i")
                for _ in range(r.take(">i")):
                    r.take(">i")
                if name == topic and (perr or leader < 0):
                    raise KafkaError(f"metadata of {topic}[{pid}]", perr or 5)
                if name == topic:
                    parts.append(pid)
        return sorted(parts)

    @_retrying
    def produce(self, topic, partition, records, txn=None):
        """records: [(key bytes|None, value bytes|None, [(hkey, hval)])];
        one batch, acks=all. Returns the base offset. txn: a Transaction
        (begun on this partition) that the batch belongs to."""
        now = int(time.time() * 1000)
        recs = bytearray()
        for i, (k, v, hdrs) in enumerate(records):
            body = bytearray(b"\x00")  # attributes
            body += _varint(0) + _varint(i)  # timestamp delta, offset delta
            for x in (k, v):
                body += _varint(-1) if x is None else _varint(len(x)) + x
            body += _varint(len(hdrs))
            for hk, hv in hdrs:
                hk = hk.encode()
                body += _varint(len(hk)) + hk
                body += _varint(-1) if hv is None else _varint(len(hv)) + hv
            recs += _varint(len(body)) + body
        pid, epoch, seq, attrs = -1, -1, -1, 0
        if txn:
            pid, epoch, seq, attrs = txn.pid, txn.epoch, txn.next_seq(partition,
                                                                len(records)), 0x10
        after_crc = (struct.pack(">hiqqqhii", attrs, len(records) - 1, now, now,
                                 pid, epoch, seq, len(records)) + bytes(recs))
        batch_tail = (struct.pack(">ibI", -1, 2, crc32c(after_crc)) + after_crc)
        batch = struct.pack(">qi", 0, len(batch_tail)) + batch_tail
        body = (_str(txn.tid if txn else None) + struct.pack(">hi", -1, 30000)
                + struct.pack(">i", 1)
                + _str(topic) + struct.pack(">i", 1)
                + struct.pack(">i", partition) + _bytes(batch))
        r = self._call(0, 3, body)
        for _ in range(r.take(">i")):
            r.string()
            for _ in range(r.take(">i")):
                _pid, err, base, _t = r.take(">ihqq")
                if err:
                    raise KafkaError(f"produce to {topic}[{partition}]", err)
                return base
        raise RuntimeError("empty produce response")

    @_retrying
    def _txn_call(self, what, api_key, version, body):
        """A transaction coordinator request whose response starts with
        throttle_time and an error code (InitProducerId, EndTxn)."""
        r = self._call(api_key, version, body)
        r.take(">i")
        err = r.take(">h")
        if err:
            raise KafkaError(what, err)
        return r

    @_retrying
    def _find_txn_coordinator(self, tid):
        """FindCoordinator v1 (key type transaction); the tests' broker is
        a single node, so the answer only says the coordinator is ready."""
        r = self._call(10, 1, _str(tid) + struct.pack(">b", 1))
        r.take(">i")
        err = r.take(">h")
        if err:
            raise KafkaError(f"find coordinator {tid}", err)

    def begin_transaction(self, tid, topic, partition, timeout_ms=60000):
        """A transaction (transactional.id tid) open on topic[partition]:
        produce into it with produce(..., txn=t), end it with
        end_transaction(t, commit). Until it ends, a read_committed reader
        stops at its first record (the last stable offset)."""
        self._find_txn_coordinator(tid)
        r = self._txn_call(f"init producer id {tid}", 22, 0,
                           _str(tid) + struct.pack(">i", timeout_ms))
        t = Transaction(tid, r.take(">q"), r.take(">h"))
        self._add_partition(t, topic, partition)
        return t

    @_retrying
    def _add_partition(self, t, topic, partition):
        body = (_str(t.tid) + struct.pack(">qh", t.pid, t.epoch)
                + struct.pack(">i", 1) + _str(topic)
                + struct.pack(">ii", 1, partition))
        r = self._call(24, 0, body)
        r.take(">i")
        for _ in range(r.take(">i")):
            r.string()
            for _ in range(r.take(">i")):
                p, err = r.take(">ih")
                if err:
                    raise KafkaError(f"add {topic}[{p}] to {t.tid}", err)

    def end_transaction(self, t, commit):
        """EndTxn v0: commit or abort t."""
        self._txn_call(f"end transaction {t.tid}", 26, 0,
                       _str(t.tid) + struct.pack(">qh?", t.pid, t.epoch, commit))

    @_retrying
    def end_offsets(self, topic, committed=False):
        """{partition: end offset} (ListOffsets v2): the high watermark, or
        with committed=True the last stable offset (read_committed)."""
        parts = self.partitions(topic)
        body = struct.pack(">ib", -1, 1 if committed else 0) + struct.pack(">i", 1)
        body += _str(topic) + struct.pack(">i", len(parts))
        for p in parts:
            body += struct.pack(">iq", p, -1)
        r = self._call(2, 2, body)
        out = {}
        r.take(">i")  # throttle
        for _ in range(r.take(">i")):
            r.string()
            for _ in range(r.take(">i")):
                p, err, _ts, off = r.take(">ihqq")
                if err:
                    raise KafkaError(f"list offsets {topic}[{p}]", err)
                out[p] = off
        return out

    @_retrying
    def committed_offsets(self, group, topic):
        """{partition: committed offset of group} (OffsetFetch v1); -1 when
        nothing is committed."""
        parts = self.partitions(topic)
        body = _str(group) + struct.pack(">i", 1) + _str(topic)
        body += struct.pack(">i", len(parts))
        for p in parts:
            body += struct.pack(">i", p)
        r = self._call(9, 1, body)
        out = {}
        for _ in range(r.take(">i")):
            r.string()
            for _ in range(r.take(">i")):
                p, off = r.take(">iq")
                r.string()
                err = r.take(">h")
                if err:
                    raise KafkaError(f"offset fetch {group} {topic}[{p}]", err)
                out[p] = off
        return out

    @_retrying
    def group_members(self, group):
        """(state, {member id: {topic: [partitions]}}) (DescribeGroups v0)."""
        r = self._call(15, 0, struct.pack(">i", 1) + _str(group))
        members, state = {}, None
        for _ in range(r.take(">i")):
            err, _gid, state = r.take(">h"), r.string(), r.string()
            if err:
                raise KafkaError(f"describe group {group}", err)
            r.string(), r.string()
            for _ in range(r.take(">i")):
                mid, _cid, _host = r.string(), r.string(), r.string()
                r.bytes()
                a = r.bytes() or b""
                members[mid] = _assignment(a)
        return state, members

    @_retrying
    def fetch_committed(self, topic):
        """Every committed record of topic (read_committed, Fetch v4):
        {partition: [(offset, key, value, headers)]}. Aborted transactions
        and control records are left out, as a read_committed consumer
        does."""
        ends = self.end_offsets(topic, committed=True)
        out = {}
        for p, end in sorted(ends.items()):
            recs, off = [], 0
            while off < end:
                batches, aborted = self._fetch(topic, p, off)
                if not batches:
                    raise RuntimeError(f"fetch {topic}[{p}] at {off}: nothing "
                                       f"below the stable offset {end}")
                aborted_from = {}  # producer id -> first offset of an aborted txn
                pending = sorted(aborted, key=lambda a: a[1])
                for b in batches:
                    while pending and pending[0][1] <= b["last"]:
                        pid, first = pending.pop(0)
                        aborted_from[pid] = first
                    if b["control"]:
                        if b["pid"] in aborted_from:
                            del aborted_from[b["pid"]]  # abort marker ends it
                    elif not (b["txn"] and b["pid"] in aborted_from):
                        recs.extend(r for r in b["records"] if off <= r[0] < end)
                    off = max(off, b["last"] + 1)
            out[p] = recs
        return out

    def _fetch(self, topic, partition, offset):
        body = struct.pack(">iiiib", -1, 500, 1, 8 << 20, 1)  # read_committed
        body += struct.pack(">i", 1) + _str(topic) + struct.pack(">i", 1)
        body += struct.pack(">iqi", partition, offset, 8 << 20)
        r = self._call(1, 4, body)
        r.take(">i")
        batches, aborted = [], []
        for _ in range(r.take(">i")):
            r.string()
            for _ in range(r.take(">i")):
                _p, err, _hw, _lso = r.take(">ihqq")
                if err:
                    raise KafkaError(f"fetch {topic}[{partition}]", err)
                n = r.take(">i")
                for _ in range(max(n, 0)):
                    aborted.append(r.take(">qq"))
                data = r.bytes() or b""
                batches.extend(_parse_batches(data))
        return batches, aborted


class Transaction:
    """A transactional producer's id, epoch and sequence numbers."""

    def __init__(self, tid, pid, epoch):
        self.tid, self.pid, self.epoch = tid, pid, epoch
        self.seq = {}

    def next_seq(self, partition, n):
        s = self.seq.get(partition, 0)
        self.seq[partition] = s + n
        return s


def _assignment(data):
    """ConsumerProtocolAssignment: {topic: [partitions]}."""
    out = {}
    if len(data) < 6:
        return out
    r = _Reader(data)
    r.take(">h")
    for _ in range(r.take(">i")):
        t = r.string()
        out[t] = sorted(r.take(">i") for _ in range(r.take(">i")))
    return out


def _parse_batches(data):
    pos, out = 0, []
    while pos + 12 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break  # partial batch at the end of the response
        (_epoch, magic, _crc, attrs, last_delta, _t0, _t1, pid, _pe, _seq,
         count) = struct.unpack_from(">ibIhiqqqhii", data, pos + 12)
        if magic != 2:
            raise RuntimeError(f"record batch magic {magic}")
        if attrs & 0x07:
            raise RuntimeError("compressed batch: set kafka.compression.type=none")
        p = pos + 12 + struct.calcsize(">ibIhiqqqhii")
        recs = []
        for _ in range(count):
            ln, p = _read_varint(data, p)
            q = p
            q += 1  # attributes
            _, q = _read_varint(data, q)  # timestamp delta
            od, q = _read_varint(data, q)
            fields = []
            for _ in range(2):
                n, q = _read_varint(data, q)
                fields.append(None if n < 0 else data[q:q + n])
                q += max(n, 0)
            hn, q = _read_varint(data, q)
            hdrs = []
            for _ in range(hn):
                n, q = _read_varint(data, q)
                hk = data[q:q + n].decode(errors="replace")
                q += n
                n, q = _read_varint(data, q)
                hdrs.append((hk, None if n < 0 else data[q:q + n]))
                q += max(n, 0)
            recs.append((base + od, fields[0], fields[1], hdrs))
            p += ln
        out.append({"last": base + last_delta, "pid": pid,
                    "txn": bool(attrs & 0x10), "control": bool(attrs & 0x20),
                    "records": recs})
        pos = end
    return out


def default_partition(key, n):
    """librdkafka's default partitioner (consistent_random) for a key."""
    return zlib.crc32(key) % n



# ------------------------------------------------------ a broker of its own

class OwnBroker:
    """A broker of the test's own (scripts/kafka-local with its own work dir
    and ports), for tests that kill or pause it. Ports come from the env
    vars named (defaults for CI); the work dir is wiped by stop()."""

    def __init__(self, name, port_var="CSPFLOW_FAULTS_KAFKA_PORT",
                 controller_var="CSPFLOW_FAULTS_KAFKA_CONTROLLER_PORT",
                 port=29300, controller_port=29301, extra_config=""):
        self.env = dict(os.environ)
        self.env["CSPFLOW_KAFKA_PORT"] = os.environ.get(port_var, str(port))
        self.env["CSPFLOW_KAFKA_CONTROLLER_PORT"] = os.environ.get(
            controller_var, str(controller_port))
        self.env["CSPFLOW_KAFKA_DIR"] = f"/tmp/cspflow-{name}-{os.getpid()}"
        self.env["CSPFLOW_KAFKA_EXTRA_CONFIG"] = extra_config
        self.script = os.path.join(ROOT, "scripts", "kafka-local")
        self.address = None

    def run(self, *cmd, check=True):
        p = subprocess.run([self.script, *cmd], env=self.env,
                           capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise RuntimeError(f"kafka-local {' '.join(cmd)}: exit "
                               f"{p.returncode}: {p.stderr[-2000:]}")
        return p

    def start(self):
        """Starts (or restarts on the same data) and waits until it answers;
        returns the bootstrap address."""
        out = self.run("start").stdout.strip().splitlines()
        self.address = out[-1] if out else None
        return self.address

    def kill(self):
        self.run("kill")

    def pause(self):
        self.run("pause")

    def resume(self):
        self.run("resume")

    def stop(self):
        """Stops it and wipes its data; never raises."""
        self.run("stop", "--clean", check=False)
