"""Java (Apache Avro's Java library, the Kafka Java client) reads what
cspflow writes and writes what it reads, in the Confluent wire format:
cspflow with registry.url set to tests/registry/fake_registry.py (the
registry test double, docs/registry.md) on 127.0.0.1:
$CSPFLOW_JAVA_REGISTRY_TEST_PORT (default 18200). The Java consumer and
tests/kafka/fastavro_reader.py fetch writer schemas by id from its REST
API; the Java producer registers its schemas there under the
record-name-per-topic subjects. The parts and their checks:
tests/kafka/javainterop.py.

usage: test_java_registry.py CSPFLOW [--mode eos|at-least-once]
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import javainterop  # noqa: E402

if __name__ == "__main__":
    javainterop.run("kafka java interop, Confluent framing",
                    "CSPFLOW_JAVA_REGISTRY_TEST_PORT", 18200)
