"""docker-compose.yml and Dockerfile name only things that exist.

No Docker engine runs where the tests run, so this reads the files:
  - docker-compose.yml parses (PyYAML); the kafka service is an Apache
    Kafka 3.9 image in KRaft mode whose settings agree with each other
    (roles, quorum voters, listener names, replication factor 1 for the
    internal topics, a valid cluster id, a healthcheck), and the address
    the cspflow services use is one the broker advertises;
  - cspflow-demo runs `demo --bootstrap kafka:9092` once, after the broker
    is healthy; every service built from the repo has an existing context
    and Dockerfile; every cspflow subcommand and option a service passes is
    in `cspflow --help` / `cspflow <command> --help`; bind mounts exist;
  - Dockerfile: Debian 12 stages, every COPY/ADD source exists and is not
    excluded by .dockerignore, every source folder CMakeLists.txt compiles
    is copied, the entrypoint is cspflow, and (where dpkg is available) every
    shared library the cspflow binary needs comes from a package the runtime
    stage installs;
  - `docker compose config` too, when a compose plugin is installed.

Run as: python3 test_docker_compose.py path/to/cspflow
"""
import base64
import fnmatch
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1])
passed, failures = 0, []


def check(name, cond, info=""):
    global passed
    if cond:
        passed += 1
        print(f"ok   {name}" + (f" ({info})" if info else ""))
    else:
        failures.append(name)
        print(f"FAIL {name}" + (f": {info}" if info else ""))
    return cond


def finish():
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


def help_text(*sub):
    p = subprocess.run([BIN, *sub, "--help"], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout + p.stderr


def subcommands():
    _rc, out = help_text()
    cmds = set()
    in_list = False
    for line in out.splitlines():
        if line.strip().startswith("commands:"):
            in_list = True
            continue
        if in_list and re.match(r"^\s+[a-z][a-z-]*\s", line):
            cmds.add(line.split()[0])
    return cmds


def env_dict(env):
    if isinstance(env, dict):
        return {k: str(v) for k, v in env.items()}
    out = {}
    for item in env or []:
        k, _, v = str(item).partition("=")
        out[k] = v
    return out


def as_argv(cmd):
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd or []]


# ------------------------------------------------------------ compose file

try:
    import yaml
except ImportError:
    if os.environ.get("CSPFLOW_REQUIRE_ALL") == "1":
        check("PyYAML installed (python3-yaml)", False)
        finish()
    print("skipped: PyYAML missing (apt-get install python3-yaml)")
    sys.exit(77)

compose_path = os.path.join(ROOT, "docker-compose.yml")
try:
    with open(compose_path) as f:
        compose = yaml.safe_load(f)
    ok = isinstance(compose, dict) and isinstance(compose.get("services"), dict)
except (OSError, yaml.YAMLError) as e:
    compose, ok = None, False
    print(e)
if not check("docker-compose.yml parses, with services", ok):
    finish()
services = compose["services"]
check("services kafka and cspflow-demo", {"kafka", "cspflow-demo"} <= set(services),
      f"{sorted(services)}")

# The broker.
kafka = services.get("kafka", {})
image = str(kafka.get("image", ""))
check("kafka: an apache/kafka 3.9 image", re.fullmatch(r"apache/kafka:3\.9\.\d+", image),
      image)
env = env_dict(kafka.get("environment"))
roles = set(env.get("KAFKA_PROCESS_ROLES", "").replace(" ", "").split(","))
check("kafka: KRaft, combined broker+controller", roles == {"broker", "controller"},
      env.get("KAFKA_PROCESS_ROLES"))
node = env.get("KAFKA_NODE_ID")
voters = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")
check("kafka: the quorum voter is this node", node is not None and
      voters.split("@")[0] == node and "," not in voters, f"node {node}, voters {voters}")


def listeners(value):
    out = {}
    for item in value.split(","):
        m = re.fullmatch(r"\s*([A-Z_]+)://([^:]*):(\d+)\s*", item)
        if m:
            out[m.group(1)] = (m.group(2), int(m.group(3)))
    return out


lst = listeners(env.get("KAFKA_LISTENERS", ""))
adv = listeners(env.get("KAFKA_ADVERTISED_LISTENERS", ""))
pmap = dict(x.split(":") for x in env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",") if ":" in x)
ctrl = env.get("KAFKA_CONTROLLER_LISTENER_NAMES", "")
check("kafka: every listener has a security protocol",
      lst and all(n in pmap for n in lst), f"listeners {sorted(lst)}, map {pmap}")
check("kafka: the controller listener is a listener on the voters' port",
      ctrl in lst and voters.endswith(f":{lst[ctrl][1]}"), f"{ctrl} {lst.get(ctrl)} {voters}")
check("kafka: advertised listeners are listeners on the same ports, not the controller",
      adv and all(n in lst and lst[n][1] == p for n, (_h, p) in adv.items()) and ctrl not in adv,
      f"{adv}")
inter = env.get("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
check("kafka: inter-broker listener is advertised", inter in adv, inter)
for k in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
          "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
          "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"):
    check(f"kafka: {k} = 1 (one node)", env.get(k) == "1", env.get(k))
cid = env.get("CLUSTER_ID")
if cid is not None:
    try:
        ok = len(cid) == 22 and len(base64.urlsafe_b64decode(cid + "==")) == 16
    except ValueError:
        ok = False
    check("kafka: CLUSTER_ID is a KRaft id (16 bytes, base64url)", ok, cid)
hc = kafka.get("healthcheck", {})
hc_test = as_argv(hc.get("test")) if hc else []
check("kafka: a healthcheck", hc_test and hc_test[0] in ("CMD", "CMD-SHELL"),
      " ".join(hc_test)[:100])
advertised = {f"{h}:{p}" for h, p in adv.values()}

# The services built from this repository.
cmds = subcommands()
check("cspflow --help lists subcommands", len(cmds) > 0, " ".join(sorted(cmds)))
ignore = []
if os.path.exists(os.path.join(ROOT, ".dockerignore")):
    with open(os.path.join(ROOT, ".dockerignore")) as f:
        ignore = [l.strip().rstrip("/") for l in f if l.strip() and not l.startswith("#")]


def ignored(rel):
    parts = rel.strip("/").split("/")
    for pat in ignore:
        for i in range(1, len(parts) + 1):
            if fnmatch.fnmatch("/".join(parts[:i]), pat.lstrip("/")):
                return pat
    return None


dockerfiles = set()
for name, svc in services.items():
    if name == "kafka":
        continue
    b = svc.get("build")
    if b is not None:
        ctx = b if isinstance(b, str) else b.get("context", ".")
        dfile = "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile")
        ctx_abs = os.path.normpath(os.path.join(ROOT, ctx))
        check(f"{name}: build context {ctx} is a folder of the repo",
              os.path.isdir(ctx_abs) and ctx_abs.startswith(ROOT))
        check(f"{name}: {dfile} exists", os.path.isfile(os.path.join(ctx_abs, dfile)))
        dockerfiles.add((ctx_abs, os.path.join(ctx_abs, dfile)))
    argv = as_argv(svc.get("command"))
    if argv:
        sub = argv[0]
        if check(f"{name}: `cspflow {sub}` exists", sub in cmds, " ".join(argv)):
            rc, h = help_text(sub)
            opts = [a.split("=")[0] for a in argv[1:] if a.startswith("--")]
            missing = [o for o in opts if not re.search(re.escape(o) + r"\b", h)]
            check(f"{name}: options {opts} are in `cspflow {sub} --help`",
                  rc == 0 and not missing, f"missing {missing}" if missing else "")
        if "--bootstrap" in argv:
            bs = argv[argv.index("--bootstrap") + 1]
            check(f"{name}: --bootstrap {bs} is advertised by kafka", bs in advertised,
                  f"advertised {sorted(advertised)}")
            dep = svc.get("depends_on", {})
            cond = dep.get("kafka", {}).get("condition") if isinstance(dep, dict) else None
            check(f"{name}: starts after kafka is healthy", cond == "service_healthy",
                  str(dep))
    for v in svc.get("volumes", []) or []:
        src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        if src.startswith((".", "/")):
            check(f"{name}: mounted {src} exists",
                  os.path.exists(os.path.normpath(os.path.join(ROOT, src))))

demo = services.get("cspflow-demo", {})
check("cspflow-demo: `demo --bootstrap kafka:9092`",
      as_argv(demo.get("command"))[:3] == ["demo", "--bootstrap", "kafka:9092"],
      str(demo.get("command")))
check("cspflow-demo: one-shot (restart: \"no\")", str(demo.get("restart")) == "no",
      str(demo.get("restart")))
check("cspflow-demo: built from the repo", demo.get("build") is not None)

# ------------------------------------------------------------ Dockerfile


def instructions(path):
    out, cur = [], ""
    with open(path) as f:
        for line in f:
            s = line.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            cur += s
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
    cmake = f.read()
compiled = {m for m in re.findall(r"\$\{CMAKE_SOURCE_DIR\}/([A-Za-z0-9_.-]+)", cmake)}
compiled.add("CMakeLists.txt")

for ctx, dfile in sorted(dockerfiles):
    rel = os.path.relpath(dfile, ROOT)
    ins = instructions(dfile)
    froms = [r for w, r in ins if w == "FROM"]
    check(f"{rel}: Debian 12 stages", froms and all(
        r.split()[0].startswith("debian:12") or r.split()[0] in
        [f.split()[-1] for f in froms if " AS " in f.upper()] for r in froms), str(froms))
    copied = set()
    for w, r in ins:
        if w not in ("COPY", "ADD"):
            continue
        args = [a for a in shlex.split(r)]
        if any(a.startswith("--from") for a in args):
            continue
        srcs = [a for a in args if not a.startswith("--")][:-1]
        for s in srcs:
            p = os.path.normpath(os.path.join(ctx, s))
            check(f"{rel}: {w} {s} exists in the repo", os.path.exists(p))
            pat = ignored(s)
            check(f"{rel}: {w} {s} is not excluded by .dockerignore", pat is None,
                  f"matches {pat}" if pat else "")
            copied.add(os.path.normpath(s).split("/")[0])
    need = {c for c in compiled if os.path.exists(os.path.join(ROOT, c))}
    check(f"{rel}: copies every source folder CMakeLists.txt compiles",
          need <= copied, f"missing {sorted(need - copied)}" if need - copied
          else " ".join(sorted(need)))
    ep = [r for w, r in ins if w == "ENTRYPOINT"]
    check(f"{rel}: ENTRYPOINT is cspflow", ep and "cspflow" in ep[-1], str(ep))
    # The runtime stage: every shared library of the binary is installed.
    last = max(i for i, (w, _r) in enumerate(ins) if w == "FROM")
    runtime_pkgs = set()
    for w, r in ins[last:]:
        if w == "RUN" and "apt-get install" in r:
            for part in r.split("&&"):
                if "apt-get install" in part:
                    runtime_pkgs |= {a for a in part.split("install", 1)[1].split()
                                     if not a.startswith("-")}
    # The libraries cspflow links directly (NEEDED); their own dependencies
    # come with their Debian packages.
    try:
        ldd = subprocess.run(["ldd", BIN], capture_output=True, text=True)
        rd = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True)
        have_dpkg = subprocess.run(["dpkg", "--version"], capture_output=True).returncode == 0
    except OSError:
        have_dpkg = False
    if not have_dpkg or ldd.returncode != 0 or rd.returncode != 0:
        print("     (no ldd/readelf/dpkg here: runtime libraries not checked)")
        continue
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", rd.stdout)
    where = dict(re.findall(r"^\s*(\S+)\s+=>\s+(/\S+)", ldd.stdout, re.M))
    libs = [where.get(n, n) for n in needed]
    missing = []
    for lib in libs:
        base = os.path.basename(lib)
        if re.match(r"lib(c|m|pthread|dl|rt|asan|ubsan|gcc_s|stdc\+\+)\.so", base) or \
                base.startswith("ld-linux"):
            continue  # libc6 is in the base image; sanitizer runtimes are ours only
        q = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        if q.returncode != 0:
            q = subprocess.run(["dpkg", "-S", os.path.realpath(lib)],
                               capture_output=True, text=True)
        pkg = q.stdout.split(":")[0] if q.returncode == 0 else None
        if pkg is None or pkg not in runtime_pkgs:
            missing.append(f"{base} ({pkg})")
    check(f"{rel}: the runtime stage installs every shared library of cspflow",
          not missing, f"missing {missing}" if missing else
          f"{len(libs)} libraries; runtime packages {sorted(runtime_pkgs)}")

# ------------------------------------------------------------ docker compose
try:
    p = subprocess.run(["docker", "compose", "version"], capture_output=True,
                       text=True, timeout=30)
    have_compose = p.returncode == 0
except (OSError, subprocess.TimeoutExpired):
    have_compose = False
if have_compose:
    p = subprocess.run(["docker", "compose", "-f", compose_path, "config", "-q"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    check("docker compose config accepts the file", p.returncode == 0, p.stderr[-500:])
else:
    print("     (no docker compose plugin here: `docker compose config` not run)")
finish()
