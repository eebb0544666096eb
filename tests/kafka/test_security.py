"""An authenticated and authorised broker: SASL_SSL, SCRAM-SHA-512, ACLs.

The test starts a broker of its own (`scripts/kafka-local start --sasl`)
on ports CSPFLOW_SASL_PORT_BASE .. +2 (default 29400: SASL_SSL clients,
controller, inter-broker) in a scratch dir, with a CA and a broker
certificate it makes with openssl, two SCRAM-SHA-512 users with random
passwords (`admin`, the super user; `cspflow`, the worker), and Kafka's
StandardAuthorizer (no ACL: denied). ACLs are granted with the admin's
credentials over the test's own SASL client (kafkasasl.py): `cspflow` may
read/write/describe the topics of one scenario, read its group and write
its transactional id, nothing else. Inputs are produced and outputs read
as `admin` with `cspflow produce` / `cspflow tail`.

Scenarios (A and D in both modes, B, C, E in eos only: they do not depend
on the mode):
  A. credentials in the config file: the examples (all six, the encodable
     lines, 02's catalog) through the worker: actions == simulate.
  B. the password from the environment (CSPFLOW_KAFKA_SASL_PASSWORD), the
     config file without it: examples/01 handled, actions == simulate.
  C. a wrong password: exit non-zero within 60 s, the error says
     authentication failed.
  D. no Write on the actions topic: exit non-zero, the messages name the
     topic and the authorization failure; nothing of the input is
     committed (no actions, no group offsets); granted Write, a second run
     gives actions == simulate (nothing lost).
  E. `cspflow config --dump` with the password in the file and in the
     environment prints *** for it.
Finally no password (admin's, the worker's, the wrong one) appears in any
output of the test: every stdout/stderr of cspflow, of kafka-local and the
worker logs.

usage: test_security.py CSPFLOW [--mode eos|at-least-once]
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402
import kafkasasl as ks  # noqa: E402

KAFKA_LOCAL = os.path.join(kt.ROOT, "scripts", "kafka-local")
EXAMPLES = sorted(os.path.join(kt.ROOT, "examples", f) for f in
                  os.listdir(os.path.join(kt.ROOT, "examples"))
                  if f.endswith(".jsonl"))
CATALOG = os.path.join(kt.ROOT, "examples", "02-discontinued-offer.catalog.json")


class Security:
    def __init__(self, rep, binary, mode, scratch):
        self.rep, self.bin, self.mode, self.dir = rep, binary, mode, scratch
        base = int(os.environ.get("CSPFLOW_SASL_PORT_BASE", "29400"))
        self.addr = f"127.0.0.1:{base}"
        self.kenv = dict(os.environ,
                         CSPFLOW_KAFKA_PORT=str(base),
                         CSPFLOW_KAFKA_CONTROLLER_PORT=str(base + 1),
                         CSPFLOW_KAFKA_INTERNAL_PORT=str(base + 2),
                         CSPFLOW_KAFKA_DIR=os.path.join(scratch, "kafka"))
        self.pw = {"admin": secrets.token_urlsafe(18),
                   "cspflow": secrets.token_urlsafe(18)}
        self.wrong = secrets.token_urlsafe(18)
        self.tls = os.path.join(scratch, "tls")
        self.ca = os.path.join(self.tls, "ca.pem")
        self.outputs = []  # (what, text) of every process run

    # ---- processes, every output kept for the final grep
    def run(self, what, argv, env=None, timeout=600):
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, text=True,
                               env=env, timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc = "timeout"
            out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        self.outputs.append((what, out + err))
        return rc, out, err, time.monotonic() - t0

    def kafka_local(self, *args):
        return self.run("kafka-local " + " ".join(args),
                        ["bash", KAFKA_LOCAL, *args], env=self.kenv)

    # ---- set-up
    def make_tls(self):
        os.makedirs(self.tls)
        t = self.tls
        ks_pw = secrets.token_urlsafe(12)
        with open(os.path.join(t, "broker.p12.pass"), "w") as f:
            f.write(ks_pw + "\n")
        with open(os.path.join(t, "ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        steps = [
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=cspflow test CA"],
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
             "broker.key", "-out", "broker.csr", "-subj", "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem",
             "-CAkey", "ca.key", "-CAcreateserial", "-out", "broker.pem",
             "-days", "2", "-extfile", "ext.cnf"],
            ["openssl", "pkcs12", "-export", "-in", "broker.pem", "-inkey",
             "broker.key", "-certfile", "ca.pem", "-out", "broker.p12",
             "-passout", "file:broker.p12.pass"],
        ]
        for argv in steps:
            p = subprocess.run(argv, cwd=t, capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(argv[:3])}: {p.stderr[-500:]}")
        with open(os.path.join(t, "users"), "w") as f:
            f.write(f"admin {self.pw['admin']}\ncspflow {self.pw['cspflow']}\n")
        os.chmod(os.path.join(t, "users"), 0o600)

    def broker_errors(self):
        log = os.path.join(self.kenv["CSPFLOW_KAFKA_DIR"], "logs", "server.log")
        try:
            with open(log, errors="replace") as f:
                return [l.rstrip() for l in f if " ERROR " in l or "Caused by" in l][:6]
        except OSError:
            return []

    def start(self):
        self.make_tls()
        # Ports in the ephemeral range can be held for a moment by another
        # process's connection (the broker then cannot bind): try 3 times.
        for attempt in range(3):
            rc, out, err, dt = self.kafka_local("start", "--sasl", self.tls)
            if rc == 0:
                break
            why = self.broker_errors()
            self.rep.note(f"kafka-local start --sasl failed (attempt {attempt + 1}): "
                          + (" | ".join(why) or err[-300:])[:900])
            self.kafka_local("stop")
            time.sleep(5)
        ok = self.rep.check("kafka-local start --sasl: the SASL_SSL broker is up",
                            rc == 0 and out.strip().endswith(self.addr),
                            f"{dt:.0f}s" if rc == 0 else f"exit {rc}: {err[-1500:]}")
        if ok:
            self.admin = ks.SaslClient(self.addr, self.ca, "admin", self.pw["admin"])
        return ok

    def stop(self):
        # data and logs stay in the scratch dir, removed when the test passed
        self.kafka_local("stop")

    # ---- configuration of a scenario
    def scenario(self, name, extra=()):
        os.environ["CSPFLOW_BOOTSTRAP"] = self.addr  # kt.Env reads it
        return kt.Env(self.bin, f"sec-{name}-{self.mode}", self.mode,
                      extra=list(extra))

    def conf(self, env, user, password, name):
        """A config file for env's topics as user (password None: none)."""
        lines = [f"topic.{k}={v}" for k, v in env.topics.items()]
        lines += ["kafka.security.protocol=SASL_SSL",
                  "kafka.sasl.mechanisms=SCRAM-SHA-512",
                  f"kafka.sasl.username={user}",
                  f"kafka.ssl.ca.location={self.ca}",
                  "kafka.session.timeout.ms=6000"]
        if password is not None:
            lines.append(f"kafka.sasl.password={password}")
        path = env.path(name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def grant(self, env, write_actions=True):
        """The worker's ACLs on env's topics, group and transactional id."""
        b = []
        for k, t in env.topics.items():
            ops = ["read", "write", "describe"]
            if k == "actions" and not write_actions:
                ops = ["read", "describe"]
            b += [("User:cspflow", "topic", t, op) for op in ops]
        b += [("User:cspflow", "group", env.group, op) for op in ("read", "describe")]
        b += [("User:cspflow", "transactional-id", f"{env.group}-0", op)
              for op in ("write", "describe")]
        self.admin.create_acls(b)
        self.wait_visible(env)

    def wait_visible(self, env, timeout=30):
        """ACLs reach the broker's authorizer through the metadata log, a
        moment after CreateAcls returns: wait until the worker's principal
        sees every topic of env (without Describe a topic looks missing,
        and the worker would try to create it)."""
        c = ks.SaslClient(self.addr, self.ca, "cspflow", self.pw["cspflow"])
        deadline = time.monotonic() + timeout
        try:
            for t in env.topics.values():
                while True:
                    try:
                        if c.partitions(t):
                            break
                    except kt.KafkaError as e:
                        if e.code != 29:  # TOPIC_AUTHORIZATION_FAILED: not yet
                            raise
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{t}: not visible to cspflow after {timeout}s")
                    time.sleep(0.2)
        finally:
            c.close()

    def grant_actions_write(self, env):
        self.admin.create_acls([("User:cspflow", "topic", env.topics["actions"], "write")])

    def produce(self, env, path):
        admin = self.conf(env, "admin", self.pw["admin"], "admin.conf")
        rc, _o, err, _dt = self.run(f"produce {os.path.basename(path)}",
                                    [self.bin, "produce", "--config", admin,
                                     "--bootstrap", self.addr, path])
        return self.rep.check(f"cspflow produce (as admin) of {os.path.basename(path)} exits 0",
                              rc == 0, "" if rc == 0 else f"exit {rc}: {err[-800:]}")

    def worker(self, env, conf, tag, catalog=None, extra_env=None, timeout=300):
        argv = [self.bin, "run", "--config", conf, "--bootstrap", self.addr,
                "--group", env.group, "--mode", self.mode, "--idle-exit", "3"]
        if catalog:
            argv += ["--catalog", catalog]
        e = dict(os.environ, **(extra_env or {}))
        return self.run(f"run {tag}", argv, env=e, timeout=timeout)

    def tail(self, env, key):
        admin = self.conf(env, "admin", self.pw["admin"], "admin.conf")
        rc, out, err, _dt = self.run(f"tail {key}",
                                     [self.bin, "tail", "--config", admin,
                                      "--bootstrap", self.addr, "--topic",
                                      env.topics[key], "--from-beginning",
                                      "--idle-exit", "4"])
        if rc != 0:
            raise RuntimeError(f"tail {env.topics[key]}: exit {rc}: {err[-800:]}")
        return [l for l in out.splitlines() if l.strip()]

    def input_of(self, env, files, name):
        """The Avro-encodable lines of files as one input; (path, actions
        simulate gives for it)."""
        lines = []
        for f in files:
            sim = env.simulate(f, CATALOG)
            good, _raw = kt.split_input(f, sim)
            lines += good
        path = env.path(name)
        with open(path, "wb") as f:
            f.write(b"".join(l + b"\n" for l in lines))
        return path, kt.actions_of_simulate(env.simulate(path, CATALOG))

    # ---- scenarios
    def a_config_file(self):
        env = self.scenario("a")
        path, want = self.input_of(env, EXAMPLES, "examples.jsonl")
        if not self.produce(env, path):
            return
        self.grant(env)
        conf = self.conf(env, "cspflow", self.pw["cspflow"], "worker.conf")
        rc, _o, err, dt = self.worker(env, conf, "A", catalog=CATALOG)
        self.rep.check("A: worker (password in its config file) exits 0", rc == 0,
                       f"{dt:.0f}s" if rc == 0 else f"exit {rc}: {err[-1500:]}")
        kt.compare_per_key(self.rep, "A: actions of the examples", want,
                           self.tail(env, "actions"))

    def b_environment(self):
        env = self.scenario("b")
        path, want = self.input_of(env, EXAMPLES[:1], "happy.jsonl")
        if not self.produce(env, path):
            return
        self.grant(env)
        conf = self.conf(env, "cspflow", None, "worker.conf")
        rc, _o, err, dt = self.worker(
            env, conf, "B", extra_env={"CSPFLOW_KAFKA_SASL_PASSWORD": self.pw["cspflow"]})
        self.rep.check("B: worker (password from CSPFLOW_KAFKA_SASL_PASSWORD) exits 0",
                       rc == 0, f"{dt:.0f}s" if rc == 0 else f"exit {rc}: {err[-1500:]}")
        kt.compare_per_key(self.rep, "B: actions of examples/01", want,
                           self.tail(env, "actions"))
        # E, environment variant
        rc, out, err, _dt = self.run(
            "config --dump (env)", [self.bin, "config", "--dump", "--config", conf],
            env=dict(os.environ, CSPFLOW_KAFKA_SASL_PASSWORD=self.pw["cspflow"]))
        line = [l for l in out.splitlines() if "kafka.sasl.password" in l]
        self.rep.check("E: config --dump shows the password from the environment as ***",
                       rc == 0 and len(line) == 1 and "***" in line[0]
                       and "CSPFLOW_KAFKA_SASL_PASSWORD" in line[0],
                       "; ".join(line) or f"exit {rc}: {err[-300:]}")

    def c_wrong_password(self):
        env = self.scenario("c")  # no ACL needed: it never gets that far
        conf = self.conf(env, "cspflow", self.wrong, "wrong.conf")
        rc, _o, err, dt = self.worker(env, conf, "C", timeout=120)
        self.rep.check("C: a wrong password fails at start, non-zero exit, within 60 s",
                       rc not in (0, "timeout") and dt < 60, f"exit {rc} after {dt:.0f}s")
        last = [l for l in err.splitlines() if l.strip()][-3:]
        self.rep.check("C: the error says authentication failed",
                       "authentication failed" in err.lower()
                       and "kafka.sasl.password" in err, " | ".join(last)[-600:])
        # E, config file variant
        rc, out, err, _dt = self.run("config --dump (file)",
                                     [self.bin, "config", "--dump", "--config", conf])
        line = [l for l in out.splitlines() if "kafka.sasl.password" in l]
        self.rep.check("E: config --dump shows the password of the file as ***",
                       rc == 0 and len(line) == 1 and "***" in line[0],
                       "; ".join(line) or f"exit {rc}: {err[-300:]}")

    def d_no_write(self):
        env = self.scenario("d")
        path, want = self.input_of(env, EXAMPLES[:1], "happy.jsonl")
        if not self.produce(env, path):
            return
        self.grant(env, write_actions=False)
        conf = self.conf(env, "cspflow", self.pw["cspflow"], "worker.conf")
        rc, _o, err, dt = self.worker(env, conf, "D", timeout=300)
        self.rep.check("D: no Write on the actions topic: non-zero exit",
                       rc not in (0, "timeout"), f"exit {rc} after {dt:.0f}s")
        named = [l for l in err.splitlines() if env.topics["actions"] in l
                 and "authorization failed" in l.lower()]
        self.rep.check("D: a message names the actions topic and the "
                       "authorization failure", bool(named),
                       (named or [""])[0][-600:])
        last = [l for l in err.splitlines() if l.strip() and '"consumed"' not in l][-1:]
        self.rep.check("D: the worker's last error (why it stopped) says "
                       "authorization failed",
                       bool(last) and "aborted in a row" in last[0]
                       and "authorization failed" in last[0].lower(),
                       "".join(last)[-600:])
        got = self.tail(env, "actions")
        committed = self.admin.committed_offsets(env.group, env.topics["events"])
        self.rep.check("D: nothing of the input committed (no action, no group offset)",
                       not got and not any(o >= 0 for o in committed.values()),
                       f"{len(got)} actions, offsets {committed}")
        self.grant_actions_write(env)
        rc, _o, err, dt = self.worker(env, conf, "D2")
        self.rep.check("D: granted Write, the worker runs again and exits 0", rc == 0,
                       f"{dt:.0f}s" if rc == 0 else f"exit {rc}: {err[-1500:]}")
        kt.compare_per_key(self.rep, "D: actions after the grant (nothing lost)", want,
                           self.tail(env, "actions"),
                           allow_duplicates=self.mode != "eos")

    def no_secret_anywhere(self, logs):
        texts = list(self.outputs)
        for log in logs:
            try:
                with open(log, errors="replace") as f:
                    texts.append((log, f.read()))
            except OSError:
                pass
        for who, pw in (("admin", self.pw["admin"]), ("worker", self.pw["cspflow"]),
                        ("wrong", self.wrong)):
            hits = [what for what, t in texts if pw in t]
            self.rep.check(f"no output holds the {who} password "
                           f"({len(texts)} outputs searched)", not hits, f"found in {hits}")


def main():
    binary, _rest, mode = kt.args()
    rep = kt.Report(f"kafka security ({mode})")
    for tool in ("openssl", "java"):
        if not shutil.which(tool):
            kt.skip_or_fail(f"{tool} not found (scripts/install-deps)")
    scratch = tempfile.mkdtemp(prefix=f"cspflow-security-{mode}-")
    kt._SCRATCH.append(scratch)
    s = Security(rep, binary, mode, scratch)
    try:
        if s.start():
            s.a_config_file()
            s.d_no_write()
            if mode == "eos":
                s.b_environment()
                s.c_wrong_password()
            s.admin.close()
    except Exception as e:  # a failed step fails the test, the broker stops
        rep.check("no step raised", False, repr(e))
    finally:
        s.stop()
    s.no_secret_anywhere([])
    rep.finish()


if __name__ == "__main__":
    main()
