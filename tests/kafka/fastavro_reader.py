"""Decoding cspflow's values in Python with fastavro (PyPI): the code
docs/schemas.md shows, run by tests/kafka/test_java_interop.py.

    reader = CspflowAvro("schemas/avro")          # the .avsc files
    record = reader.decode(value)                 # a dict; record["type"] ...

Single-object values (C3 01 + CRC-64-AVRO fingerprint, little-endian) are
decoded with the .avsc whose fingerprint the header carries; Confluent ones
(00 + 4-byte big-endian id) with the writer schema the registry returns for
the id (GET <registry>/schemas/ids/<id>), read into the local .avsc of the
same full name. fastavro returns timestamp-millis fields as aware
datetimes, enums as their symbols, optional fields as None.

usage: fastavro_reader.py [--avro-json] [--registry URL] SCHEMA_DIR FILE...
(one value per file; prints each as a JSON line)
"""
import argparse
import io
import json
import os
import struct
import urllib.request

import fastavro
import fastavro.schema


class CspflowAvro:
    def __init__(self, schema_dir, registry_url=None):
        self.by_header = {}  # the 8 fingerprint bytes -> parsed schema
        self.by_name = {}  # full name -> parsed schema
        for f in sorted(os.listdir(schema_dir)):
            if not f.endswith(".avsc"):
                continue
            with open(os.path.join(schema_dir, f)) as fh:
                # each file alone: several define a type of the same name
                s = fastavro.parse_schema(json.load(fh), named_schemas={})
            # fastavro's CRC-64-AVRO hex is the fingerprint's little-endian
            # bytes: the 8 bytes after C3 01
            fp = fastavro.schema.fingerprint(
                fastavro.schema.to_parsing_canonical_form(s), "CRC-64-AVRO")
            self.by_header[bytes.fromhex(fp)] = s
            self.by_name[s["name"]] = s
        self.registry_url = registry_url.rstrip("/") if registry_url else None
        self.by_id = {}  # registry id -> writer schema

    def _registry_schema(self, schema_id):
        if schema_id not in self.by_id:
            req = urllib.request.Request(
                f"{self.registry_url}/schemas/ids/{schema_id}",
                headers={"Accept": "application/vnd.schemaregistry.v1+json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                text = json.load(r)["schema"]
            self.by_id[schema_id] = fastavro.parse_schema(json.loads(text),
                                                          named_schemas={})
        return self.by_id[schema_id]

    def schema_of(self, value):
        """The reader schema decode() used for value."""
        if value[:2] == b"\xc3\x01":
            return self.by_header[value[2:10]]
        (schema_id,) = struct.unpack_from(">I", value, 1)
        w = self._registry_schema(schema_id)
        return self.by_name.get(w["name"], w)

    def decode(self, value):
        """One record value as a dict; ValueError when it is neither
        framing or names an unknown schema."""
        if value[:2] == b"\xc3\x01" and len(value) >= 10:
            writer = self.by_header.get(value[2:10])
            if writer is None:
                (fp,) = struct.unpack_from("<Q", value, 2)
                raise ValueError(f"unknown fingerprint {fp:016x}")
            return fastavro.schemaless_reader(io.BytesIO(value[10:]), writer, writer)
        if value[:1] == b"\x00" and len(value) >= 5 and self.registry_url:
            (schema_id,) = struct.unpack_from(">I", value, 1)
            writer = self._registry_schema(schema_id)
            reader = self.by_name.get(writer["name"], writer)
            return fastavro.schemaless_reader(io.BytesIO(value[5:]), writer, reader)
        raise ValueError("not a single-object or Confluent-framed Avro value")


def main():
    """SCHEMA_DIR FILE...: each file's value as a JSON line (datetimes as
    text); with --avro-json, as "<full name>\t<Avro JSON encoding>"
    (fastavro.json_writer), which tests/kafka/javainterop.py compares
    with simulate's outputs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--avro-json", action="store_true")
    ap.add_argument("--registry", help="schema registry base URL")
    ap.add_argument("schema_dir")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    reader = CspflowAvro(a.schema_dir, a.registry)
    for path in a.files:
        with open(path, "rb") as f:
            value = f.read()
        rec = reader.decode(value)
        if not a.avro_json:
            print(json.dumps(rec, default=str))
            continue
        schema = reader.schema_of(value)
        out = io.StringIO()
        fastavro.json_writer(out, schema, [rec])
        print(f"{schema['name']}\t{out.getvalue().strip()}")


if __name__ == "__main__":
    main()
