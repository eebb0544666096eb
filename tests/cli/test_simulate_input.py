"""`cspflow simulate` on bad input: every bad line gives one event-rejected
line with its reason, the run goes on, nothing crashes; exit statuses as the
spec says. Run as: python3 test_simulate_input.py path/to/cspflow"""
import json
import os
import subprocess
import sys
import tempfile

BIN = sys.argv[1]
failures = []
passed = 0

GOOD_REQ = {
    "type": "migration-requested", "event_id": "e1",
    "occurred_at": "2026-03-01T09:00:00Z", "partner_id": "p",
    "customer_tenant_id": "t",
    "actor": {"user_id": "u", "roles": ["account-admin"]},
    "partner_region": "EU", "customer_tenant_region": "EU",
    "multi_channel": False, "delegated_admin": False,
    "source_subscriptions": [{
        "subscription_id": "s1", "offer_id": "O", "quantity": 1,
        "channel": "other-partner", "expires_at": "2026-06-30T00:00:00Z"}],
}
ACCEPT = {"type": "invitation-accepted", "event_id": "e9",
          "occurred_at": "2026-03-02T09:00:00Z", "partner_id": "p",
          "customer_tenant_id": "t"}


def run(stdin_bytes, *args):
    p = subprocess.run([BIN, "simulate", *args], input=stdin_bytes,
                       capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check(name, cond, info=""):
    global passed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failures.append(name)
        print(f"FAIL {name} {info}")


def lines_of(out):
    return [json.loads(l) for l in out.splitlines()]


def one_rejection(name, line, code, causation=None):
    """The bad line, then a good request: one rejection, then the good
    request is still handled."""
    data = line + b"\n" + json.dumps(GOOD_REQ).encode() + b"\n"
    rc, out, err = run(data)
    try:
        got = lines_of(out)
    except ValueError as e:
        check(name, False, f"output not JSON lines: {e}")
        return
    ok = (rc == 0 and len(got) == 2 and got[0]["type"] == "event-rejected"
          and got[0]["reason"].startswith(code + ": line 1: ")
          and got[0]["causation_id"] == causation
          and got[1]["type"] == "reseller-relationship-requested")
    check(name, ok, f"rc={rc} out={out[:300]!r} err={err[:300]!r}")


one_rejection("malformed JSON", b'{"type":', "malformed")
one_rejection("not an object", b'[1,2,3]', "malformed")
one_rejection("binary junk", bytes(range(1, 256)).replace(b"\n", b""),
              "malformed")
one_rejection("unknown type",
              json.dumps(dict(ACCEPT, type="teleported")).encode(),
              "unknown-type", "e9")
one_rejection("type not a string",
              json.dumps(dict(ACCEPT, type=7)).encode(), "wrong-type", "e9")
one_rejection("missing field",
              json.dumps({k: v for k, v in ACCEPT.items()
                          if k != "occurred_at"}).encode(),
              "missing-field", "e9")
one_rejection("wrong field type",
              json.dumps(dict(GOOD_REQ, event_id="e2",
                              multi_channel="no")).encode(),
              "wrong-type", "e2")
one_rejection("bad time",
              json.dumps(dict(ACCEPT, occurred_at="2026-02-30T00:00:00Z"))
              .encode(), "invalid-value", "e9")
one_rejection("output type as input",
              json.dumps(dict(ACCEPT, type="migration-completed",
                              causation_id="x", subscriptions=[])).encode(),
              "not-an-input", "e9")
one_rejection("event for no migration", json.dumps(ACCEPT).encode(),
              "no-migration", "e9")
one_rejection("id over the cap",
              json.dumps(dict(ACCEPT, partner_id="p" * 200)).encode(),
              "over-limit", "e9")
one_rejection("too many subscriptions",
              json.dumps(dict(GOOD_REQ, event_id="e3", source_subscriptions=[
                  dict(GOOD_REQ["source_subscriptions"][0],
                       subscription_id=f"s{i}") for i in range(300)]))
              .encode(), "over-limit", "e3")

# A 10 MB line: rejected as over the cap, and the next line still handled.
big = b'{"type":"invitation-accepted","event_id":"' + b"x" * (10 << 20) + b'"}'
one_rejection("10 MB line", big, "over-limit")

# Many bad lines in a row, then good ones: all accounted for, in order.
bad = [b"nope", b"{}", json.dumps(ACCEPT).encode()]
data = b"\n".join(bad * 50) + b"\n" + json.dumps(GOOD_REQ).encode() + b"\n" \
    + json.dumps(ACCEPT).encode() + b"\n"
rc, out, _ = run(data)
got = lines_of(out)
check("150 bad lines then good ones",
      rc == 0 and len(got) == 152
      and all(g["type"] == "event-rejected" for g in got[:150])
      and [g["reason"].split(":")[0] for g in got[:3]]
      == ["malformed", "missing-field", "no-migration"]
      and got[150]["type"] == "reseller-relationship-requested"
      and got[151]["type"] == "provision-requested",
      out[-500:])

# Line numbers count every line, blank ones included.
rc, out, _ = run(b"\n\nnot json\n")
got = lines_of(out)
check("line number in reason", rc == 0 and len(got) == 1
      and got[0]["reason"].startswith("malformed: line 3: "), out)

# Duplicates are skipped silently (rule 12).
rc, out, _ = run((json.dumps(GOOD_REQ) + "\n") .encode() * 3)
check("duplicate skipped", rc == 0 and len(lines_of(out)) == 1, out)

# Same input, same bytes.
data = open("examples/04-direct-billed-credit.jsonl", "rb").read()
a, b = run(data), run(data)
check("deterministic", a[0] == 0 and a[1] == b[1] and a[1] != "")

# Exit statuses.
rc, _, err = run(b"", "/nonexistent/file.jsonl")
check("missing file exits 2", rc == 2 and "nonexistent" in err, err)
rc, _, err = run(b"", "--bogus")
check("unknown option exits 2", rc == 2, err)
rc, _, _ = run(b"", "a.jsonl", "b.jsonl")
check("two files exit 2", rc == 2)
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    f.write('{"offers": 3}')
rc, _, err = run(b"", "--catalog", f.name)
os.unlink(f.name)
check("bad catalog exits 2", rc == 2 and "offers" in err, err)
rc, out, _ = run(b"", "--help")
check("--help exits 0", rc == 0 and "usage: cspflow simulate" in out)
rc, out, _ = run(b"")
check("empty input exits 0, prints nothing", rc == 0 and out == "")

# --state lists migrations with their status.
rc, out, _ = run((json.dumps(GOOD_REQ) + "\n" + json.dumps(ACCEPT) + "\n")
                 .encode(), "--state")
got = lines_of(out)
check("--state", rc == 0 and got[-1]["type"] == "migration-state"
      and got[-1]["status"] == "provisioning"
      and got[-1]["subscriptions"][0]["target"] == "requested", out)

print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
