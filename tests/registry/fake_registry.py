#!/usr/bin/env python3
"""A TEST DOUBLE of the Confluent Schema Registry: not a registry.

It implements, in memory and with the standard library only, the subset of
the Confluent Schema Registry REST API (v7) that cspflow and its tests use,
with its documented answers and error bodies:

  POST /subjects/{subject}/versions   {"schema": "..."} -> {"id": N}
                                      (the same schema text again: the same
                                      id; one id per distinct schema across
                                      subjects, as Confluent does)
  POST /subjects/{subject}            {"schema": "..."} -> {"subject", "id",
                                      "version", "schema"}; 404 40401 (no such
                                      subject) or 40403 (schema not found)
  GET  /schemas/ids/{id}              -> {"schema": "..."}; 404 40403
  GET  /subjects                      -> ["subject", ...]
  GET  /subjects/{subject}/versions   -> [1, 2, ...]; 404 40401
  GET  /subjects/{subject}/versions/{n|latest}
                                      -> {"subject", "id", "version",
                                      "schema"}; 404 40401 / 40402
  errors: {"error_code": N, "message": "..."}; a body that is not a schema's
  JSON: 422 42201; basic auth (--basic-auth user:password): 401 40101.

It does not check compatibility, does not canonicalise schemas (the text is
compared after json.loads/dumps with sorted keys), and keeps nothing on disk.

Fault switches for tests, under /_test (not part of the registry API):

  POST /_test/faults  {"fail": N, "status": 500}   the next N requests
                                                   answer `status`
                      {"delay_ms": D}              every request waits D ms
                      {"oversize": B}              every answer is padded to
                                                   at least B bytes
                      {"forget_ids": true}         GET /schemas/ids/* -> 404
  DELETE /_test/faults                             all switches off
  GET /_test/stats    {"requests": N, "by_path": {...}, "pid": P}
                      (faults included; a test checks P is the process
                      it started, not another one on the same port)

Run: fake_registry.py [--port P] [--port-file F] [--basic-auth U:P]
Port: --port, else $CSPFLOW_FAKE_REGISTRY_PORT, else 18100; 0 picks a free
port (written to --port-file when given). It serves on 127.0.0.1 only, in
threads (so a delayed answer does not hold the others), until SIGTERM or
SIGINT. docs/registry.md says how the tests use it.
"""
import argparse
import base64
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 18100
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.ids = {}        # id -> schema text (as registered)
        self.by_norm = {}    # normalised text -> id
        self.subjects = {}   # subject -> [id, ...] (version i+1 = [i])
        self.faults = {}
        self.requests = 0
        self.by_path = {}

    def register(self, subject, text):
        norm = normalise(text)
        with self.lock:
            sid = self.by_norm.get(norm)
            if sid is None:
                sid = len(self.ids) + 1
                self.ids[sid] = text
                self.by_norm[norm] = sid
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return sid

    def lookup(self, subject, text):
        norm = normalise(text)
        with self.lock:
            versions = self.subjects.get(subject)
            if versions is None:
                return None, 40401
            sid = self.by_norm.get(norm)
            if sid is None or sid not in versions:
                return None, 40403
            return (sid, versions.index(sid) + 1), 0


def normalise(text):
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def is_schema(text):
    """A JSON object with a type, a JSON array (union) or a type name."""
    try:
        v = json.loads(text)
    except ValueError:
        return False
    return (isinstance(v, dict) and "type" in v) or isinstance(v, list) \
        or isinstance(v, str)


class Handler(BaseHTTPRequestHandler):
    server_version = "cspflow-fake-registry/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: tests print what matters
        if os.environ.get("CSPFLOW_FAKE_REGISTRY_LOG"):
            sys.stderr.write("fake-registry: " + (fmt % args) + "\n")

    # ------------------------------------------------------------ plumbing

    def handle(self):
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # a client that gave up (timeout tests)

    def answer(self, status, obj, raw=False):
        st = self.server.state
        body = obj if raw else json.dumps(obj).encode()
        pad = st.faults.get("oversize")
        if pad and len(body) < pad and not self.path.startswith("/_test"):
            body = body + b" " * (pad - len(body))
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.answer(status, {"error_code": code, "message": message})

    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 16 * 1024 * 1024:
            return None
        try:
            return json.loads(self.rfile.read(n) or b"null")
        except ValueError:
            return None

    def authorised(self):
        want = self.server.basic_auth
        if not want:
            return True
        got = self.headers.get("Authorization", "")
        return got == "Basic " + base64.b64encode(want.encode()).decode()

    def fault(self):
        """Applies the switches; True when the request was answered."""
        st = self.server.state
        with st.lock:
            st.requests += 1
            key = re.sub(r"/\d+$", "/N", self.path.split("?")[0])
            st.by_path[key] = st.by_path.get(key, 0) + 1
            delay = st.faults.get("delay_ms", 0)
            fail = st.faults.get("fail", 0)
            if fail > 0:
                st.faults["fail"] = fail - 1
        if delay:
            time.sleep(delay / 1000.0)
        if fail > 0:
            status = self.server.state.faults.get("status", 500)
            self.error(status, status * 100 + 1, "injected failure")
            return True
        return False

    # ------------------------------------------------------------ routes

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_test/"):
            return self.test_route(method, path)
        if self.fault():
            return
        if not self.authorised():
            return self.error(401, 40101, "Unauthorized")
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if method == "GET" and parts[:2] == ["schemas", "ids"] and len(parts) == 3:
            if st.faults.get("forget_ids") or not parts[2].isdigit() \
                    or int(parts[2]) not in st.ids:
                return self.error(404, 40403, "Schema not found")
            return self.answer(200, {"schema": st.ids[int(parts[2])]})
        if method == "GET" and parts == ["subjects"]:
            return self.answer(200, sorted(st.subjects))
        if parts and parts[0] == "subjects" and len(parts) >= 2:
            subject = parts[1]
            if method == "POST" and len(parts) in (2, 3):
                if len(parts) == 3 and parts[2] != "versions":
                    return self.error(404, 404, "Not found")
                req = self.body_json()
                text = req.get("schema") if isinstance(req, dict) else None
                if not isinstance(text, str) or not is_schema(text):
                    return self.error(422, 42201, "Invalid schema")
                if len(parts) == 3:
                    return self.answer(200, {"id": st.register(subject, text)})
                found, code = st.lookup(subject, text)
                if not found:
                    return self.error(404, code, "Subject not found"
                                      if code == 40401 else "Schema not found")
                sid, version = found
                return self.answer(200, {"subject": subject, "id": sid,
                                         "version": version,
                                         "schema": st.ids[sid]})
            if method == "GET" and len(parts) >= 3 and parts[2] == "versions":
                versions = st.subjects.get(subject)
                if versions is None:
                    return self.error(404, 40401, "Subject not found")
                if len(parts) == 3:
                    return self.answer(200, list(range(1, len(versions) + 1)))
                v = parts[3]
                n = len(versions) if v == "latest" else \
                    (int(v) if v.isdigit() else 0)
                if n < 1 or n > len(versions):
                    return self.error(404, 40402, "Version not found")
                sid = versions[n - 1]
                return self.answer(200, {"subject": subject, "id": sid,
                                         "version": n, "schema": st.ids[sid]})
        return self.error(404, 404, "Not found")

    def test_route(self, method, path):
        st = self.server.state
        if path == "/_test/faults" and method == "POST":
            req = self.body_json()
            if not isinstance(req, dict):
                return self.error(400, 400, "expected a JSON object")
            with st.lock:
                st.faults.update(req)
            return self.answer(200, st.faults)
        if path == "/_test/faults" and method == "DELETE":
            with st.lock:
                st.faults = {}
            return self.answer(200, {})
        if path == "/_test/stats" and method == "GET":
            with st.lock:
                return self.answer(200, {"requests": st.requests,
                                         "by_path": dict(st.by_path),
                                         "pid": os.getpid()})
        return self.error(404, 404, "Not found")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int,
                    default=int(os.environ.get("CSPFLOW_FAKE_REGISTRY_PORT",
                                               DEFAULT_PORT)))
    ap.add_argument("--port-file")
    ap.add_argument("--basic-auth")
    a = ap.parse_args()
    try:
        srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    except OSError as e:
        sys.exit(f"fake-registry: cannot listen on 127.0.0.1:{a.port}: {e}")
    srv.daemon_threads = True
    srv.state = State()
    srv.basic_auth = a.basic_auth
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)
    print(f"fake-registry: test double listening on 127.0.0.1:{port}",
          file=sys.stderr, flush=True)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()


if __name__ == "__main__":
    main()
