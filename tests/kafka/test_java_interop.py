"""Java (Apache Avro's Java library, the Kafka Java client) reads what
cspflow writes and writes what it reads, in Avro single-object encoding
(no registry.url). The parts and their checks: tests/kafka/javainterop.py;
tests/kafka/test_java_registry.py runs them in the Confluent wire format.

usage: test_java_interop.py CSPFLOW [--mode eos|at-least-once]
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import javainterop  # noqa: E402

if __name__ == "__main__":
    javainterop.run("kafka java interop")
