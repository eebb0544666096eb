"""`cspflow graph`: the picture of the README is current, and the graph is
the handlers' tables.

  - docs/state-machine.dot is exactly what `cspflow graph --format dot`
    prints now, and docs/state-machine.svg was rendered from that DOT (its
    recorded SHA-256; when the installed Graphviz is the version that made
    the SVG, a re-render gives the same bytes);
  - DOT and Mermaid hold the same moves, which are the rows of the tables
    docs/rules.md documents (migration, and per subscription);
  - the DOT renders with Graphviz.
On failure it says how to fix it: scripts/render-graph.
Run as: python3 test_graph.py path/to/cspflow"""
import hashlib
import re
import shutil
import subprocess
import sys

BIN = sys.argv[1]
FIX = f"regenerate with: scripts/render-graph {BIN}  (then commit docs/state-machine.*)"
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


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


rc, dot, err = run("graph", "--format", "dot")
check("graph --format dot exits 0", rc == 0, err)
rc2, dot_default, _ = run("graph")
check("dot is the default format", rc2 == 0 and dot_default == dot)
rc, mermaid, err = run("graph", "--format", "mermaid")
check("graph --format mermaid exits 0", rc == 0 and mermaid.splitlines()[1] == "stateDiagram-v2",
      err)
rc, _, err = run("graph", "--format", "png")
check("graph --format png -> exit 2", rc == 2, err)

# ---- the picture is current ----
with open("docs/state-machine.dot") as f:
    recorded = f.read()
check("docs/state-machine.dot is current", recorded == dot, FIX)
with open("docs/state-machine.svg") as f:
    svg = f.read()
m = re.search(r"<!-- cspflow-graph-dot-sha256: ([0-9a-f]{64})", svg)
want = hashlib.sha256(recorded.encode()).hexdigest()
check("docs/state-machine.svg was rendered from docs/state-machine.dot",
      m is not None and m.group(1) == want,
      f"svg records {m.group(1) if m else 'no hash'}, the dot is {want}; {FIX}")
check("docs/state-machine.svg is an SVG", "<svg" in svg and svg.rstrip().endswith("</svg>"))
with open("README.md") as f:
    check("README.md shows docs/state-machine.svg", "docs/state-machine.svg" in f.read())

# ---- edges: DOT == Mermaid == docs/rules.md ----
def dot_edges(text):
    """{(machine, from, to, event, rule)} from the DOT."""
    out = set()
    for a, b, label in re.findall(r'^\s*"([^"]+)" -> "([^"]+)" \[label="([^"]*)"\];', text, re.M):
        ma, fa = a.split(".", 1)
        mb, fb = b.split(".", 1)
        assert ma == mb, (a, b)
        for item in filter(None, label.split("\\l")):
            ev, rule = re.match(r"^(\S+) \((\d+)\)$", item).groups()
            out.add((ma, "new" if fa == "start" else fa, fb, ev, int(rule)))
    return out


def mermaid_edges(text):
    out = set()
    machine = None
    for line in text.splitlines():
        s = re.match(r"^    state (\w+) \{$", line)
        if s:
            machine = s.group(1)
            continue
        e = re.match(r"^        (\S+) --> (\S+) : (\S+) \((\d+)\)$", line)
        if e:
            a, b, ev, rule = e.groups()
            strip = lambda x: x[len(machine) + 1:].replace("_", "-")
            out.add((machine, "new" if a == "[*]" else strip(a), strip(b), ev, int(rule)))
    return out


def rules_md_edges():
    with open("docs/rules.md") as f:
        text = f.read()
    out = set()
    for ev, fr, to, rule in re.findall(
            r"^\| ([a-z-]+) \| ([a-z-]+) \| ([a-z-]+) \| (\d+) \|$", text, re.M):
        out.add(("migration", "new" if fr == "none" else fr, to, ev, int(rule)))
    for part, ev, fr, to, rule in re.findall(
            r"^\| (target|source) \| ([a-z-]+) \| ([a-z-]+) \| ([a-z-]+) \| (\d+) \|$",
            text, re.M):
        out.add((part, fr, to, ev, int(rule)))
    return out


d, mm, doc = dot_edges(dot), mermaid_edges(mermaid), rules_md_edges()
check("the DOT has edges of the three machines",
      {e[0] for e in d} == {"migration", "target", "source"}, sorted(d)[:5])
check("Mermaid and DOT hold the same moves", d == mm,
      f"only dot: {sorted(d - mm)}; only mermaid: {sorted(mm - d)}")
check("the graph is the tables docs/rules.md documents", d == doc,
      f"only in the graph: {sorted(d - doc)}; only in docs/rules.md: {sorted(doc - d)}")
check("rule 11 ends in blocked, drawn final",
      ("migration", "invited", "blocked", "relationship-terminated", 11) in d
      and re.search(r'"migration.blocked" \[label="blocked", peripheries=2\]', dot))

# ---- it renders, and the SVG is what this Graphviz makes of it ----
if shutil.which("dot"):
    p = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                       timeout=60)
    check("Graphviz renders the DOT", p.returncode == 0 and "<svg" in p.stdout, p.stderr)
    ver = re.search(r"Generated by graphviz version (\S+)", svg)
    mine = re.search(r"Generated by graphviz version (\S+)", p.stdout)
    if ver and mine and ver.group(1) == mine.group(1):
        body = lambda s: re.sub(r"<!-- cspflow-graph-dot-sha256: [^>]*-->\n", "", s)
        check("re-rendering docs/state-machine.dot gives docs/state-machine.svg",
              body(svg) == p.stdout, FIX)
    else:
        print(f"     (Graphviz here is not the one that made the SVG: byte check not run)")
else:
    failures.append("Graphviz `dot` is not installed (scripts/install-deps installs it)")
    print("FAIL Graphviz `dot` is not installed")

print(f"\n{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
