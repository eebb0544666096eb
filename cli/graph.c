/* cspflow graph: the state machines as Graphviz DOT or Mermaid, made from
 * the tables the handlers enforce (cf_handlers_transitions,
 * cf_handlers_sub_transitions), so the picture cannot drift from the code.
 * scripts/render-graph turns the DOT into docs/state-machine.svg. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "handlers/handlers.h"

static const char usage_text[] =
    "usage: cspflow graph [--format dot|mermaid]\n"
    "\n"
    "Prints the migration state machine and the two per-subscription state\n"
    "machines (the replacement's target status, the source's status) as a\n"
    "Graphviz DOT digraph (default) or a Mermaid stateDiagram-v2, generated\n"
    "from the transition tables the handlers enforce. An edge is labelled\n"
    "with each input type that makes the move and its rule number\n"
    "(docs/rules.md); the start point is a key never seen (or a source not\n"
    "yet requested); a status with no way out has a double border.\n"
    "`scripts/render-graph` renders it to docs/state-machine.svg.\n"
    "\n"
    "  --format F   dot (default) or mermaid\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0 ok, 1 write error, 2 usage error.\n";

/* One move of one machine. */
typedef struct edge_s {
        int from; /* a status, or the machine's start */
        int to;
        cf_event_type_t event;
        int rule;
} edge_t;

#define EDGES_MAX 128

/* One machine, normalised: statuses are ints, start is the pseudo-status
 * drawn as the start point. */
typedef struct machine_s {
        const char *id;
        const char *title;
        const char *(*name)(int status);
        int n_status;
        int start;
        edge_t edges[EDGES_MAX];
        size_t n;
} machine_t;

static const char *mig_name(int s) {
        return cf_mig_status_name((cf_mig_status_t)s);
}
static const char *tgt_name(int s) {
        return cf_target_status_name((cf_target_status_t)s);
}
static const char *src_name(int s) {
        return cf_source_status_name((cf_source_status_t)s);
}

/* The three machines from the handlers' tables; -1 if one overflows. */
static int load(machine_t m[3]) {
        size_t n = 0, ns = 0;
        const cf_transition_t *t = cf_handlers_transitions(&n);
        const cf_sub_transition_t *st = cf_handlers_sub_transitions(&ns);

        memset(m, 0, 3 * sizeof(*m));
        m[0] = (machine_t){.id = "migration",
                           .title = "migration: one per partner/customer key",
                           .name = mig_name,
                           .n_status = CF_MIG__COUNT,
                           .start = CF_MIG_NONE};
        m[1] = (machine_t){.id = "target",
                           .title = "replacement of each source subscription "
                                    "(target status)",
                           .name = tgt_name,
                           .n_status = CF_TGT__COUNT,
                           .start = CF_SUB_NEW};
        m[2] = (machine_t){.id = "source",
                           .title = "each source subscription (source status)",
                           .name = src_name,
                           .n_status = CF_SRC__COUNT,
                           .start = CF_SUB_NEW};
        for (size_t i = 0; i < n; i++) {
                if (m[0].n >= EDGES_MAX)
                        return -1;
                m[0].edges[m[0].n++] = (edge_t){(int)t[i].from, (int)t[i].to,
                                                t[i].event, t[i].rule};
        }
        for (size_t i = 0; i < ns; i++) {
                machine_t *x = &m[st[i].part == CF_SUB_TARGET ? 1 : 2];
                if (x->n >= EDGES_MAX)
                        return -1;
                x->edges[x->n++] =
                    (edge_t){st[i].from, st[i].to, st[i].event, st[i].rule};
        }
        return 0;
}

/* True when status s is an end of an edge of m. */
static bool used(const machine_t *m, int s) {
        for (size_t i = 0; i < m->n; i++)
                if (m->edges[i].from == s || m->edges[i].to == s)
                        return true;
        return false;
}

/* True when no edge leaves s for another status. */
static bool terminal(const machine_t *m, int s) {
        for (size_t i = 0; i < m->n; i++)
                if (m->edges[i].from == s && m->edges[i].to != s)
                        return false;
        return true;
}

/* Node id: "<machine>.<status>" (or "<machine>.start"); mermaid ids use
 * '_' for '.' and '-'. */
static void node_id(const machine_t *m, int s, bool mermaid, char *buf,
                    size_t size) {
        snprintf(buf, size, "%s.%s", m->id,
                 s == m->start ? "start" : m->name(s));
        if (mermaid)
                for (char *p = buf; *p; p++)
                        if (*p == '.' || *p == '-')
                                *p = '_';
}

/* True when an earlier edge of m has the same from and to. */
static bool seen_pair(const machine_t *m, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (m->edges[j].from == m->edges[i].from &&
                    m->edges[j].to == m->edges[i].to)
                        return true;
        return false;
}

static void dot_machine(const machine_t *m, FILE *fp) {
        char a[64], b[64];

        fprintf(fp, "  subgraph \"cluster_%s\" {\n    label=\"%s\";\n", m->id,
                m->title);
        node_id(m, m->start, false, a, sizeof(a));
        fprintf(fp, "    \"%s\" [shape=point, width=0.15, label=\"\"];\n", a);
        for (int s = 0; s < m->n_status; s++) {
                if (s == m->start || !used(m, s))
                        continue;
                node_id(m, s, false, a, sizeof(a));
                fprintf(fp, "    \"%s\" [label=\"%s\"%s];\n", a, m->name(s),
                        terminal(m, s) ? ", peripheries=2" : "");
        }
        /* one edge per (from, to), labelled with every row that makes it */
        for (size_t i = 0; i < m->n; i++) {
                const edge_t *e = &m->edges[i];
                if (seen_pair(m, i))
                        continue;
                node_id(m, e->from, false, a, sizeof(a));
                node_id(m, e->to, false, b, sizeof(b));
                fprintf(fp, "    \"%s\" -> \"%s\" [label=\"", a, b);
                for (size_t j = i, k = 0; j < m->n; j++) {
                        const edge_t *f = &m->edges[j];
                        if (f->from != e->from || f->to != e->to)
                                continue;
                        fprintf(fp, "%s%s (%d)", k++ ? "\\l" : "",
                                cf_event_type_name(f->event), f->rule);
                }
                fprintf(fp, "\\l\"];\n");
        }
        fprintf(fp, "  }\n");
}

static void dot(const machine_t m[3], FILE *fp) {
        fprintf(fp,
                "// cspflow graph --format dot: generated from the handlers' "
                "transition tables; do not edit\n"
                "digraph cspflow {\n"
                "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, "
                "labeljust=l, nodesep=0.25, ranksep=0.5];\n"
                "  node [shape=box, style=rounded, fontname=\"Helvetica\", "
                "fontsize=11];\n"
                "  edge [fontname=\"Helvetica\", fontsize=9];\n");
        /* Graphviz stacks the clusters of a left-to-right graph from the
         * bottom: the migration last puts it on top */
        for (int i = 2; i >= 0; i--)
                dot_machine(&m[i], fp);
        fprintf(fp, "}\n");
}

static void mermaid(const machine_t m[3], FILE *fp) {
        char a[64], b[64];

        fprintf(fp, "%%%% cspflow graph --format mermaid: generated from the "
                    "handlers' transition tables; do not edit\n"
                    "stateDiagram-v2\n");
        for (int i = 0; i < 3; i++) {
                const machine_t *x = &m[i];
                fprintf(fp, "    state \"%s\" as %s\n    state %s {\n",
                        x->title, x->id, x->id);
                for (int s = 0; s < x->n_status; s++) {
                        if (s == x->start || !used(x, s))
                                continue;
                        node_id(x, s, true, a, sizeof(a));
                        fprintf(fp, "        state \"%s\" as %s\n", x->name(s),
                                a);
                }
                for (size_t k = 0; k < x->n; k++) {
                        const edge_t *e = &x->edges[k];
                        if (e->from == x->start)
                                snprintf(a, sizeof(a), "[*]");
                        else
                                node_id(x, e->from, true, a, sizeof(a));
                        node_id(x, e->to, true, b, sizeof(b));
                        fprintf(fp, "        %s --> %s : %s (%d)\n", a, b,
                                cf_event_type_name(e->event), e->rule);
                }
                for (int s = 0; s < x->n_status; s++)
                        if (s != x->start && used(x, s) && terminal(x, s)) {
                                node_id(x, s, true, a, sizeof(a));
                                fprintf(fp, "        %s --> [*]\n", a);
                        }
                fprintf(fp, "    }\n");
        }
}

int cf_cmd_graph(int argc, char **argv) {
        static const struct option opts[] = {
            {"format", required_argument, NULL, 'f'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
        static machine_t m[3];
        bool want_mermaid = false;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        if (strcmp(optarg, "dot") != 0 &&
                            strcmp(optarg, "mermaid") != 0) {
                                fprintf(stderr,
                                        "cspflow graph: --format: '%s' is "
                                        "neither dot nor mermaid\n",
                                        optarg);
                                return CF_EXIT_USAGE;
                        }
                        want_mermaid = strcmp(optarg, "mermaid") == 0;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return CF_EXIT_OK;
                default:
                        fputs(usage_text, stderr);
                        return CF_EXIT_USAGE;
                }
        }
        if (optind != argc) {
                fputs(usage_text, stderr);
                return CF_EXIT_USAGE;
        }
        if (load(m) != 0) {
                fprintf(stderr,
                        "cspflow graph: over %d transitions in one "
                        "table\n",
                        EDGES_MAX);
                return CF_EXIT_FAILURE;
        }
        if (want_mermaid)
                mermaid(m, stdout);
        else
                dot(m, stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "cspflow graph: cannot write the output\n");
                return CF_EXIT_FAILURE;
        }
        return CF_EXIT_OK;
}
