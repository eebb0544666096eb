"""SASL_SSL for the tests' raw Kafka client (kafkatest.KafkaClient), stdlib
only: TLS with the test's CA, SCRAM-SHA-512 (RFC 5802/7677) over
SaslHandshake v1 + SaslAuthenticate v0, and CreateAcls v1, so
tests/kafka/test_security.py can grant its ACLs in milliseconds instead of
starting Kafka's Java AclCommand once per binding (librdkafka 2.0.2's
admin API has no TransactionalId resource type).
"""
import base64
import hashlib
import hmac
import os
import socket
import ssl
import struct

import kafkatest as kt

# Kafka's codes (org.apache.kafka.common.resource / acl)
RESOURCE = {"topic": 2, "group": 3, "cluster": 4, "transactional-id": 5}
OPERATION = {"all": 2, "read": 3, "write": 4, "create": 5, "delete": 6,
             "alter": 7, "describe": 8, "cluster-action": 9,
             "describe-configs": 10, "alter-configs": 11,
             "idempotent-write": 12}
PATTERN_LITERAL = 3
PERMISSION_ALLOW = 3


class SaslError(RuntimeError):
    pass


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


class SaslClient(kt.KafkaClient):
    """A KafkaClient over TLS, authenticated with SCRAM-SHA-512."""

    def __init__(self, bootstrap_addr, cafile, user, password):
        host, _, port = bootstrap_addr.split(",")[0].rpartition(":")
        ctx = ssl.create_default_context(cafile=cafile)
        raw = socket.create_connection((host, int(port)), timeout=30)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)
        self.corr = 0
        self._scram(user, password)

    def _scram(self, user, password):
        r = self._call(17, 1, kt._str("SCRAM-SHA-512"))  # SaslHandshake
        err = r.take(">h")
        if err:
            raise SaslError(f"SaslHandshake: error {err}")
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={user},r={nonce}"
        server_first = self._auth(("n,," + first_bare).encode()).decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        if not attrs["r"].startswith(nonce):
            raise SaslError("SCRAM: the server's nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(),
                                     base64.b64decode(attrs["s"]), int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha512).digest()
        stored = hashlib.sha512(client_key).digest()
        final_bare = f"c=biws,r={attrs['r']}"
        auth_msg = f"{first_bare},{server_first},{final_bare}".encode()
        proof = _xor(client_key, hmac.new(stored, auth_msg, hashlib.sha512).digest())
        server_final = self._auth(
            f"{final_bare},p={base64.b64encode(proof).decode()}".encode()).decode()
        server_key = hmac.new(salted, b"Server Key", hashlib.sha512).digest()
        want = base64.b64encode(hmac.new(server_key, auth_msg,
                                         hashlib.sha512).digest()).decode()
        if server_final != f"v={want}":
            raise SaslError("SCRAM: the server's signature does not match")

    def _auth(self, data):
        r = self._call(36, 0, kt._bytes(data))  # SaslAuthenticate
        err = r.take(">h")
        msg = r.string()
        if err:
            raise SaslError(f"SaslAuthenticate: error {err}: {msg}")
        return r.bytes() or b""

    def create_acls(self, bindings):
        """bindings: [(principal, resource, name, operation)], all LITERAL
        ALLOW from any host, e.g. ("User:w", "topic", "t", "write")."""
        body = struct.pack(">i", len(bindings))
        for principal, res, name, op in bindings:
            body += struct.pack(">b", RESOURCE[res]) + kt._str(name)
            body += struct.pack(">b", PATTERN_LITERAL) + kt._str(principal)
            body += kt._str("*") + struct.pack(">bb", OPERATION[op],
                                                PERMISSION_ALLOW)
        r = self._call(30, 1, body)  # CreateAcls
        r.take(">i")  # throttle
        errors = []
        for b in bindings[:r.take(">i")]:
            err = r.take(">h")
            msg = r.string()
            if err:
                errors.append(f"{b}: error {err}: {msg}")
        if errors:
            raise SaslError("CreateAcls: " + "; ".join(errors))
