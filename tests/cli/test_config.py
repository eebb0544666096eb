"""The configuration layers and `--help`, through the binary:

  - `cspflow config --dump`: defaults < --config FILE < CSPFLOW_* < flags,
    each line naming the origin, secrets printed as ***;
  - a wrong key or value stops `config`, `run`, `produce`, `tail` at start
    (exit 2, before any connection) naming the key and where it was set;
  - every key `--dump` prints is documented in docs/configuration.md;
  - every command `cspflow help` lists answers --help with exit 0 and a
    "usage: cspflow <command>" line on stdout.
Run as: python3 test_config.py path/to/cspflow"""
import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
failures = []
passed = 0


def check(name, cond, info=""):
    global passed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failures.append(name)
        print(f"FAIL {name}\n     {info}")


def clean_env(**extra):
    """The environment without any CSPFLOW_ configuration, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSPFLOW_")}
    env.update(extra)
    return env


def run(args, env=None, timeout=60):
    p = subprocess.run([BIN, *args], capture_output=True, text=True,
                       env=env if env is not None else clean_env(),
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def dump_table(out):
    """{key: (value, origin)} from `config --dump`."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+)\s+(\S+)\s+(.+)$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


with tempfile.TemporaryDirectory() as tmp:
    conf = os.path.join(tmp, "prod.conf")
    with open(conf, "w") as f:
        f.write("# a comment\n"
                "kafka.bootstrap.servers=file:1\n"
                "batch.max.ms=250\n"
                "batch.max.records=10\n"
                "topic.audit=file.audit\n"
                "kafka.sasl.password=hunter2\n"
                "kafka.sasl.username=alice\n")
    env = clean_env(CSPFLOW_BATCH_MAX_RECORDS="20", CSPFLOW_TOPIC_AUDIT="env.audit",
                    CSPFLOW_KAFKA_SASL_JAAS_CONFIG='x required password="s3cr3t";',
                    CSPFLOW_KAFKA_PORT="39092", CSPFLOW_BOOTSTRAP="127.0.0.1:1",
                    CSPFLOW_REQUIRE_ALL="1")
    rc, out, err = run(["config", "--config", conf, "--set", "batch.max.records=30",
                        "--group", "g9", "--dump"], env)
    check("config --dump exits 0", rc == 0, err)
    rows = dump_table(out)
    expect = {
        "group": ("g9", "flag --group"),
        "mode": ("eos", "default"),
        "batch.max.records": ("30", "flag --set"),
        "batch.max.ms": ("250", f"{conf}:3"),
        "topic.audit": ("env.audit", "environment CSPFLOW_TOPIC_AUDIT"),
        "topic.events": ("csp.migration.events", "default"),
        "kafka.bootstrap.servers": ("file:1", f"{conf}:2"),
        "kafka.sasl.password": ("***", f"{conf}:6"),
        "kafka.sasl.username": ("alice", f"{conf}:7"),
        "kafka.sasl.jaas.config": ("***", "environment CSPFLOW_KAFKA_SASL_JAAS_CONFIG"),
    }
    for key, want in expect.items():
        check(f"dump: {key} = {want[0]} from {want[1]}", rows.get(key) == want,
              rows.get(key))
    check("dump: no secret printed", "hunter2" not in out and "s3cr3t" not in out, out)
    check("dump: the scripts' variables are not configuration",
          "kafka.port" not in rows and "bootstrap" not in rows, out)

    # the order of the layers, one key through all four
    base = ["config", "--config", conf, "--dump"]
    rc, out, _ = run(base)
    check("file over default", dump_table(out).get("batch.max.records", ("",))[0] == "10")
    rc, out, _ = run(base, clean_env(CSPFLOW_BATCH_MAX_RECORDS="20"))
    check("environment over file", dump_table(out).get("batch.max.records", ("",))[0] == "20")
    rc, out, _ = run(base + ["--set", "batch.max.records=30", "--set", "batch.max.records=40"],
                     clean_env(CSPFLOW_BATCH_MAX_RECORDS="20"))
    check("flag over environment, the last flag wins",
          dump_table(out).get("batch.max.records", ("",))[0] == "40")

    # docs: every key printed is documented
    with open("docs/configuration.md") as f:
        doc = f.read()
    rc, out, _ = run(["config", "--dump"])
    for key in dump_table(out):
        check(f"docs/configuration.md documents `{key}`", f"`{key}`" in doc)

    # wrong keys and values stop every Kafka command at start
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("kafka.bootstrap.servers=127.0.0.1:1\n\nbatch.max.record=3\n")
    for cmd in ("config", "run", "produce", "tail"):
        args = [cmd, "--config", bad] + (["--dump"] if cmd == "config" else [])
        rc, out, err = run(args)
        check(f"{cmd}: unknown key in the file -> exit 2 naming it and file:line",
              rc == 2 and f"{bad}:3" in err and "'batch.max.record'" in err, (rc, err))
        args = [cmd, "--bootstrap", "127.0.0.1:1"] + (["--dump"] if cmd == "config" else [])
        rc, out, err = run(args, clean_env(CSPFLOW_BATCH_MAX_MS="soon"))
        check(f"{cmd}: bad value in the environment -> exit 2 naming the variable",
              rc == 2 and "CSPFLOW_BATCH_MAX_MS" in err and "batch.max.ms" in err
              and "'soon'" in err, (rc, err))
        rc, out, err = run(args, clean_env(CSPFLOW_BATCH_MAX_RECORD="3"))
        check(f"{cmd}: unknown variable -> exit 2 naming it",
              rc == 2 and "CSPFLOW_BATCH_MAX_RECORD" in err, (rc, err))
        rc, out, err = run(args + ["--set", "topics.partitions=0"])
        check(f"{cmd}: bad value in a flag -> exit 2 naming the key",
              rc == 2 and "flag --set" in err and "topics.partitions" in err, (rc, err))
    rc, out, err = run(["run", "--bootstrap", "127.0.0.1:1", "--mode", "fast"])
    check("run --mode fast -> exit 2 naming the key", rc == 2 and "mode: 'fast'" in err, err)
    rc, out, err = run(["config", "--dump", "--set", "kafka.ssl.key.password=leak!",
                        "--set", "topics.partitions=x"])
    check("an error message prints no secret", rc == 2 and "leak!" not in err + out, err)
    rc, out, err = run(["config", "--dump", "--set", "kafka.sasl.password"])
    check("--set without = -> exit 2", rc == 2 and "KEY=VALUE" in err, err)
    rc, out, err = run(["produce", "--set", "kafka.no.such.property=1",
                        "--bootstrap", "127.0.0.1:1", os.devnull])
    check("an unknown kafka.* property fails at start naming it and its flag",
          rc == 2 and "flag --set" in err and "no.such.property" in err, (rc, err))
    rc, out, err = run(["run"])
    check("run without a bootstrap -> exit 2", rc == 2 and "--bootstrap" in err, err)

# --help on every command
rc, out, _ = run(["help"])
commands = re.findall(r"^  (\S+)\s", out, re.M)
check("help lists the commands", rc == 0 and "run" in commands and "config" in commands,
      out)
for cmd in commands:
    rc, out, err = run([cmd, "--help"])
    usage = "<command>" if cmd == "help" else cmd
    check(f"{cmd} --help: exit 0 and a usage line",
          rc == 0 and re.search(rf"^usage: cspflow {usage}( |$)", out, re.M) is not None,
          (rc, out[:200], err[:200]))
    rc, out, err = run([cmd, "-h"])
    check(f"{cmd} -h: exit 0", rc == 0, (rc, err[:200]))

print(f"\n{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
