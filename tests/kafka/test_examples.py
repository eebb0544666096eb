"""Every examples/*.jsonl through a real broker gives what `cspflow simulate`
gives.

For each example (with its .catalog.json when there is one), on topics of
its own: `cspflow produce` the input, `cspflow run --idle-exit` until it is
idle (the examples' workers run side by side), `cspflow tail` the actions topic (read_committed), and compare with
`cspflow simulate` of the same file minus its event-rejected lines, per key
and in order. The DLQ holds one record per simulate rejection, with the same
reason code; the worker's summary adds up.

Lines that cannot be written as Avro at all (not JSON, unknown type, missing
or mistyped fields: simulate rejects them as malformed, unknown-type,
missing-field, wrong-type, invalid-value) cannot go through `cspflow
produce`; they are sent as their raw bytes instead, which the worker must
dead-letter too (as `malformed`: not an Avro single-object record).

usage: test_examples.py CSPFLOW [--mode eos|at-least-once]
"""
import glob
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

class Example:
    """One example on topics of its own."""

    def __init__(self, rep, binary, mode, path):
        self.name = os.path.basename(path)[:-len(".jsonl")]
        self.env = kt.Env(binary, f"ex{self.name[:2]}-{mode}", mode)
        self.catalog = kt.catalog_for(path)
        sim = self.env.simulate(path, self.catalog)
        self.want = kt.actions_of_simulate(sim)
        self.want_rej = kt.rejections_of_simulate(sim)
        rep.note(f"{self.name}: simulate gives {len(self.want)} actions, "
                 f"{len(self.want_rej)} rejections")
        self.n_in = kt.produce_input(rep, self.env, path, sim, self.name)
        self.worker = None

    def start(self):
        self.worker = self.env.start_worker("1", catalog=self.catalog, idle_exit=3)

    def check(self, rep):
        name, env, w = self.name, self.env, self.worker
        w.wait(300)
        rep.check(f"{name}: cspflow run --idle-exit exits 0", w.rc == 0,
                  f"exit {w.rc}")
        got = env.tail("actions")
        kt.compare_per_key(rep, f"{name}: actions", self.want, got)

        dlq = [json.loads(l) for l in env.tail("dlq")]
        rep.check(f"{name}: one DLQ record per simulate rejection",
                  len(dlq) == len(self.want_rej),
                  f"{len(dlq)} in the DLQ, {len(self.want_rej)} from simulate")
        codes = sorted(d.get("reason", "").split(":")[0] for d in dlq)
        # A line sent raw is not Avro single-object bytes at all: malformed.
        want_codes = sorted("malformed" if code in kt.NOT_ENCODABLE else code
                            for code in (r["reason"].split(":")[0]
                                         for r in self.want_rej))
        rep.check(f"{name}: DLQ reason codes", codes == want_codes,
                  f"DLQ {codes} simulate {want_codes}")

        s = w.summary
        if rep.check(f"{name}: summary line printed", s is not None, w.log):
            rep.check(f"{name}: summary consumed == inputs",
                      s.get("consumed") == self.n_in,
                      f"consumed {s.get('consumed')}, inputs {self.n_in}")
            rep.check(f"{name}: summary rejected == DLQ records",
                      s.get("rejected") == len(dlq),
                      f"rejected {s.get('rejected')}, DLQ {len(dlq)}")
            total = sum(s.get(k, 0) for k in ("applied", "duplicates", "rejected",
                                              "skipped_offsets"))
            rep.check(f"{name}: applied + duplicates + rejected + skipped == consumed",
                      total == s.get("consumed"), json.dumps(s))


def main():
    binary, rest, mode = kt.args()
    rep = kt.Report(f"kafka examples ({mode})")
    files = rest or sorted(glob.glob(os.path.join(kt.ROOT, "examples", "*.jsonl")))
    rep.check("examples found", len(files) > 0, f"{len(files)} files")
    # Produce every example, then run their workers side by side (each on
    # its own topics and group), then compare each.
    examples = [Example(rep, binary, mode, path) for path in files]
    examples = [e for e in examples if e.n_in is not None]
    for e in examples:
        e.start()
    for e in examples:
        e.check(rep)
    if rep.failed:
        for e in examples:
            e.env.dump_logs()
    rep.finish()


if __name__ == "__main__":
    main()
