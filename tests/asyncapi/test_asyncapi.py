"""docs/asyncapi.yaml is what `cspflow schemas --asyncapi` generates from
schemas/avro, and the AsyncAPI project's own parser accepts it.

  1. `cspflow schemas --asyncapi` equals docs/asyncapi.yaml byte for byte
     (else: a diff and the command that regenerates it), and is the same on
     a second run;
  2. against schemas/avro itself (not only the binary's embedded copy):
     every .avsc is one message whose payload schema is the file's JSON,
     with the right schemaFormat, on the right channel; `schemas --list`,
     `--print` and `--fingerprint` agree with the files;
  3. `--config` moves the channels' addresses to the file's topic names,
     CSPFLOW_<KEY> and `--set` override it, `--bootstrap` adds a server
     (the document itself is generated without CSPFLOW_* variables);
  4. with registry.url (and a server), the Kafka bindings of the schema
     registry: the server's schemaRegistryUrl (its user:password@ left
     out) and schemaRegistryVendor confluent; on every events, actions and
     audit message schemaIdLocation payload, schemaIdPayloadEncoding
     confluent, schemaLookupStrategy TopicRecordNameStrategy and
     x-schema-registry-subject <topic>-<record full name>; none on the
     state and DLQ messages; registry.url without a server exits 2;
  5. @asyncapi/parser (+ @asyncapi/avro-schema-parser), pinned by
     tests/asyncapi/package-lock.json and installed with `npm ci` into
     ~/.cache/cspflow/asyncapi (CSPFLOW_ASYNCAPI_CACHE), validates the
     checked-in document, the --config one and the registry one with no
     error diagnostic, and reads the registry bindings back from the last;
  6. the validator rejects broken documents: a dangling $ref, an invalid
     Avro type, an Avro default of the wrong type, a missing info.version,
     a Kafka binding with a schemaIdLocation the bindings do not define.

Without node or npm (or when npm ci fails) the test skips (77), or fails
when CSPFLOW_REQUIRE_ALL=1.

usage: test_asyncapi.py CSPFLOW
"""
import copy
import fcntl
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC = os.path.join(ROOT, "docs", "asyncapi.yaml")
AVSC_DIR = os.path.join(ROOT, "schemas", "avro")
AVRO_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
CACHE = os.environ.get("CSPFLOW_ASYNCAPI_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "cspflow", "asyncapi")
passed, failures = 0, []


def check(name, cond, info=""):
    global passed
    if cond:
        passed += 1
        print(f"ok   {name}" + (f" ({info})" if info else ""), flush=True)
    else:
        failures.append(name)
        print(f"FAIL {name}" + (f": {info}" if info else ""), flush=True)
    return cond


def finish():
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


def skip_or_fail(why):
    if os.environ.get("CSPFLOW_REQUIRE_ALL") == "1":
        check(f"{why} (CSPFLOW_REQUIRE_ALL=1: this fails, not skips)", False)
        finish()
    print(f"skipped: {why}")
    print(f"{passed} passed, {len(failures)} failed before the skip")
    sys.exit(1 if failures else 77)


# cspflow reads CSPFLOW_<KEY> variables as configuration; the document is
# generated without them (the test command exports CSPFLOW_BOOTSTRAP etc.).
CLEAN_ENV = {k: v for k, v in os.environ.items()
             if not k.startswith("CSPFLOW_")}


def run(argv, env=None, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          env=CLEAN_ENV if env is None else env, **kw)


def generated(binary, work):
    p = run([binary, "schemas", "--asyncapi"])
    check("cspflow schemas --asyncapi exits 0", p.returncode == 0,
          p.stderr.strip())
    again = run([binary, "schemas", "--asyncapi"]).stdout
    check("two runs print the same bytes", again == p.stdout,
          f"{len(p.stdout)} bytes")
    path = os.path.join(work, "asyncapi.yaml")
    with open(path, "w") as f:
        f.write(p.stdout)
    return path, p.stdout


def check_fresh(path):
    same = filecmp.cmp(path, DOC, shallow=False)
    info = ""
    if not same:
        d = run(["diff", "-u", DOC, path]).stdout.splitlines()
        info = ("docs/asyncapi.yaml is stale; regenerate it with\n"
                "       build/cspflow schemas --asyncapi > docs/asyncapi.yaml\n"
                + "\n".join(d[:60]) + ("\n..." if len(d) > 60 else ""))
    check("docs/asyncapi.yaml == cspflow schemas --asyncapi", same, info)


def check_against_files(binary, doc):
    files = sorted(f[:-5] for f in os.listdir(AVSC_DIR) if f.endswith(".avsc"))
    schemas = doc["components"]["schemas"]
    messages = doc["components"]["messages"]
    lst = run([binary, "schemas", "--list"])
    rows = {l.split()[0]: l.split() for l in lst.stdout.splitlines()}
    check("schemas --list: one line per schemas/avro/*.avsc",
          lst.returncode == 0 and sorted(rows) == files,
          f"{len(rows)} lines, {len(files)} files")
    wrong = []
    for name in files:
        with open(os.path.join(AVSC_DIR, name + ".avsc"), "rb") as f:
            raw = f.read()
        s = schemas.get(name, {})
        if s.get("schemaFormat") != AVRO_FORMAT or s.get("schema") != json.loads(raw):
            wrong.append(f"{name}: payload schema is not the file's JSON")
        m = messages.get(name, {})
        if m.get("payload") != {"$ref": f"#/components/schemas/{name}"}:
            wrong.append(f"{name}: message payload")
        row = rows.get(name, [])
        topic = row[3] if len(row) == 4 else "-"
        ch = doc["channels"].get(topic, {}).get("messages", {})
        if name not in ch:
            wrong.append(f"{name}: not on channel {topic}")
        if len(row) == 4 and (m.get("name") != row[1]
                              or m.get("x-avro-fingerprint") != row[2]):
            wrong.append(f"{name}: name/fingerprint differ from --list")
        pr = subprocess.run([binary, "schemas", "--print", name],
                            capture_output=True, timeout=60, env=CLEAN_ENV)
        if pr.stdout != raw:
            wrong.append(f"{name}: --print differs from the file")
        fp = run([binary, "schemas", "--fingerprint", name]).stdout.split()
        le = bytes.fromhex(row[2])[::-1].hex() if len(row) == 4 else "?"
        if fp != [row[2] if row else "?", "c301" + le]:
            wrong.append(f"{name}: --fingerprint {fp}")
    check("every .avsc: its JSON is its message's payload, on its topic's "
          "channel; --print, --fingerprint agree", not wrong,
          f"{len(files)} schemas" if not wrong else "; ".join(wrong[:8]))
    inputs = [n for n, r in rows.items() if r[3] == "events"]
    outputs = [n for n, r in rows.items() if r[3] == "actions"]
    ops = doc["operations"]
    check("receiveEvents receives every input type, sendActions sends every "
          "output type",
          ops["receiveEvents"]["action"] == "receive"
          and len(ops["receiveEvents"]["messages"]) == len(inputs)
          and ops["sendActions"]["action"] == "send"
          and len(ops["sendActions"]["messages"]) == len(outputs),
          f"{len(inputs)} inputs, {len(outputs)} outputs")
    ce = [n for n in outputs
          if messages[n].get("headers", {}).get("allOf", [{}])[0].get("$ref")
          != "#/components/schemas/cloudevents-headers"]
    check("every action message has the CloudEvents headers", not ce,
          f"{len(outputs)} messages" if not ce else str(ce))
    bad = run([binary, "schemas", "--print", "no-such-schema"])
    check("schemas --print of an unknown name exits 2", bad.returncode == 2,
          bad.stderr.strip())


def check_config(binary, work):
    conf = os.path.join(work, "cspflow.conf")
    topics = {k: f"acme.{k}" for k in ("events", "actions", "audit", "state",
                                       "dlq")}
    with open(conf, "w") as f:
        f.write("".join(f"topic.{k}={v}\n" for k, v in topics.items()))
        f.write("kafka.security.protocol=SASL_SSL\n")
    p = run([binary, "schemas", "--asyncapi", "--config", conf,
             "--bootstrap", "broker1:9093,broker2:9093"])
    ok = p.returncode == 0
    doc = json.loads(p.stdout) if ok else {}
    got = {k: v["address"] for k, v in doc.get("channels", {}).items()}
    check("--config: channel addresses are the file's topics", got == topics,
          p.stderr.strip() or str(got))
    srv = doc.get("servers", {}).get("kafka", {})
    check("--bootstrap: a kafka-secure server for the first broker",
          srv.get("host") == "broker1:9093"
          and srv.get("protocol") == "kafka-secure", str(srv))
    env = dict(CLEAN_ENV, CSPFLOW_TOPIC_AUDIT="env.audit")
    p2 = run([binary, "schemas", "--asyncapi", "--config", conf, "--set",
              "topic.dlq=flag.dlq"], env=env)
    got2 = ({k: v["address"] for k, v in json.loads(p2.stdout)["channels"].items()}
            if p2.returncode == 0 else {})
    check("CSPFLOW_TOPIC_AUDIT and --set topic.dlq= win over the file",
          got2.get("audit") == "env.audit" and got2.get("dlq") == "flag.dlq"
          and got2.get("events") == "acme.events",
          p2.stderr.strip() or str(got2))
    path = os.path.join(work, "asyncapi-config.yaml")
    with open(path, "w") as f:
        f.write(p.stdout)
    bad = run([binary, "schemas", "--asyncapi", "--config",
               os.path.join(work, "missing.conf")])
    check("--config of a missing file exits 2", bad.returncode == 2,
          bad.stderr.strip())
    return path


REGISTRY_BINDING = {"schemaIdLocation": "payload",
                    "schemaIdPayloadEncoding": "confluent",
                    "schemaLookupStrategy": "TopicRecordNameStrategy"}
REGISTRY_TOPICS = ("events", "actions", "audit")  # state: single-object


def check_registry(binary, work):
    """The document with registry.url set; its path, or None."""
    conf = os.path.join(work, "registry.conf")
    with open(conf, "w") as f:
        f.write("topic.actions=acme.actions\n"
                "registry.url=https://svc:s3cr3t@registry.example:8081"
                "/apis/ccompat/v7\n")
    p = run([binary, "schemas", "--asyncapi", "--config", conf,
             "--bootstrap", "broker1:9093"])
    if not check("registry.url: schemas --asyncapi exits 0", p.returncode == 0,
                 p.stderr.strip()):
        return None
    doc = json.loads(p.stdout)
    srv = doc.get("servers", {}).get("kafka", {}).get("bindings", {}).get(
        "kafka", {})
    check("registry.url: the server's Kafka binding names the registry "
          "(URL without user:password@) and vendor confluent",
          srv.get("schemaRegistryUrl")
          == "https://registry.example:8081/apis/ccompat/v7"
          and srv.get("schemaRegistryVendor") == "confluent"
          and "s3cr3t" not in p.stdout, str(srv))
    rows = {l.split()[0]: l.split()
            for l in run([binary, "schemas", "--list"]).stdout.splitlines()}
    addr = {k: v["address"] for k, v in doc["channels"].items()}
    wrong, n = [], 0
    for name, m in doc["components"]["messages"].items():
        b = m.get("bindings", {}).get("kafka", {})
        topic = rows[name][3] if name in rows else "dlq"
        got = {k: b.get(k) for k in REGISTRY_BINDING}
        if topic in REGISTRY_TOPICS:
            n += 1
            subject = f"{addr[topic]}-{rows[name][1]}"
            if got != REGISTRY_BINDING:
                wrong.append(f"{name}: binding {got}")
            if m.get("x-schema-registry-subject") != subject:
                wrong.append(f"{name}: subject "
                             f"{m.get('x-schema-registry-subject')} != {subject}")
            if "Confluent wire format" not in m.get("description", ""):
                wrong.append(f"{name}: description")
        elif any(got.values()) or "x-schema-registry-subject" in m:
            wrong.append(f"{name} ({topic}): registry binding on a topic "
                         "that is not Confluent-framed")
    check("registry.url: events, actions and audit messages say where the "
          "schema id is and their subject; state and DLQ do not",
          not wrong and n == len([r for r in rows.values()
                                  if r[3] in REGISTRY_TOPICS]),
          f"{n} messages" if not wrong else "; ".join(wrong[:6]))
    no_srv = run([binary, "schemas", "--asyncapi", "--config", conf])
    check("registry.url without kafka.bootstrap.servers exits 2, saying so",
          no_srv.returncode == 2 and "registry.url" in no_srv.stderr
          and not no_srv.stdout, no_srv.stderr.strip())
    path = os.path.join(work, "asyncapi-registry.yaml")
    with open(path, "w") as f:
        f.write(p.stdout)
    return path


def check_parsed_registry(prefix, path):
    """What @asyncapi/parser reads back from the registry document's
    bindings (validate.js's server and message lines)."""
    rc, out = validate(prefix, path)
    srv = [l.split() for l in out.splitlines() if l.startswith("server ")]
    msgs = [l.split() for l in out.splitlines() if l.startswith("message ")]
    confluent = [m for m in msgs if m[-3:] == ["payload", "confluent",
                                               "TopicRecordNameStrategy"]]
    plain = [m for m in msgs if m[-3:] == ["-", "-", "-"]]
    check("@asyncapi/parser reads the registry bindings: the server's URL "
          "and vendor, the schema id's location on the Confluent-framed "
          "messages",
          rc == 0 and srv and srv[0][-2:] == [
              "https://registry.example:8081/apis/ccompat/v7", "confluent"]
          and len(confluent) + len(plain) == len(msgs)
          and sorted(m[1] for m in plain) == ["dead-letter",
                                              "migration-state"],
          f"{len(confluent)} Confluent-framed messages, "
          f"{len(plain)} others; {srv}" if rc == 0 else out[-2000:])


def install_parser():
    """npm ci of tests/asyncapi's lock into CACHE (once per lock); returns
    the prefix, or None."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} not found")
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        # Several checkouts on one machine share the cache.
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = os.path.join(CACHE, "installed-package-lock.json")
        want = os.path.join(HERE, "package-lock.json")
        if (os.path.isdir(os.path.join(CACHE, "node_modules"))
                and os.path.exists(stamp)
                and filecmp.cmp(stamp, want, shallow=False)):
            return CACHE
        for f in ("package.json", "package-lock.json"):
            shutil.copyfile(os.path.join(HERE, f), os.path.join(CACHE, f))
        p = run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                 "--prefer-offline"], cwd=CACHE)
        if p.returncode != 0:
            print(p.stdout[-2000:] + p.stderr[-2000:])
            skip_or_fail(f"npm ci in {CACHE} failed (exit {p.returncode})")
        shutil.copyfile(want, stamp)
        print(f"     installed @asyncapi/parser into {CACHE}")
        return CACHE


def validate(prefix, path):
    p = run(["node", os.path.join(HERE, "validate.js"), prefix, path])
    return p.returncode, p.stdout + p.stderr


def check_valid(prefix, path, label, n_messages):
    rc, out = validate(prefix, path)
    errors = [l for l in out.splitlines() if l.startswith("error")]
    chans = [l for l in out.splitlines() if l.startswith("channel ")]
    msgs = [l for l in out.splitlines() if l.startswith("message ")]
    check(f"@asyncapi/parser: {label} is valid, no error diagnostic",
          rc == 0 and not errors,
          "; ".join(l for l in out.splitlines() if l.startswith(("valid",
                                                                 "avro")))
          if rc == 0 else out[-3000:])
    check(f"@asyncapi/parser: {label} has 5 channels and {n_messages} "
          "messages", len(chans) == 5 and len(msgs) == n_messages,
          f"{len(chans)} channels, {len(msgs)} messages")


def check_rejects(prefix, doc, work):
    def badref(d):
        d["channels"]["actions"]["messages"]["migration-completed"]["$ref"] = \
            "#/components/messages/no-such-message"

    def badtype(d):
        d["components"]["schemas"]["migration-requested"]["schema"][
            "fields"][1]["type"] = "strnig"

    def baddefault(d):
        f = d["components"]["schemas"]["audit-record"]["schema"]["fields"][0]
        f["default"] = 5  # ["null","string"]: only null is a valid default

    def noversion(d):
        del d["info"]["version"]

    def badbinding(d):
        b = d["components"]["messages"]["migration-completed"]["bindings"]
        b["kafka"]["schemaIdLocation"] = "body"  # header or payload

    for name, mutate in (("a dangling $ref", badref),
                         ("an undefined Avro type name", badtype),
                         ("an Avro default of the wrong type", baddefault),
                         ("no info.version", noversion),
                         ("a Kafka binding's schemaIdLocation 'body'",
                          badbinding)):
        d = copy.deepcopy(doc)
        mutate(d)
        path = os.path.join(work, "broken.yaml")
        with open(path, "w") as f:
            json.dump(d, f, indent=2)
        rc, out = validate(prefix, path)
        errors = [l for l in out.splitlines() if l.startswith("error")]
        check(f"@asyncapi/parser rejects a document with {name}",
              rc == 1 and errors, errors[0] if errors else out[-1500:])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_asyncapi.py CSPFLOW")
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="cspflow-asyncapi-")
    try:
        path, text = generated(binary, work)
        check_fresh(path)
        doc = json.loads(text)
        check_against_files(binary, doc)
        conf_path = check_config(binary, work)
        reg_path = check_registry(binary, work)
        prefix = install_parser()
        n = len(doc["components"]["messages"])
        check_valid(prefix, DOC, "docs/asyncapi.yaml", n)
        check_valid(prefix, conf_path, "the --config document", n)
        if reg_path:
            check_valid(prefix, reg_path, "the registry.url document", n)
            check_parsed_registry(prefix, reg_path)
        check_rejects(prefix, doc, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
