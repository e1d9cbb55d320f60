/*
 * explain.c — rendering a plan as an indented tree or as JSON.  Both
 * renderers walk the same attribute lists (plan_ops[kind].describe), so the
 * text and the JSON cannot disagree.
 */
#include "plan.h"

#include <string.h>

static Changelog node_changelog(const PlanNode *n)
{
    if (plan_ops[n->kind].changelog) return plan_ops[n->kind].changelog(n);
    if (!n->updating) return CL_APPEND;
    return n->before ? CL_RETRACT : CL_UPSERT;
}

/* Key column names of the node's output (the table's PK for a sink). */
static int node_key(const PlanNode *n, Arena *a, const char ***out)
{
    if (plan_ops[n->kind].key_names) return plan_ops[n->kind].key_names(n, a, out);
    if (!n->updating || !n->has_key) return -1;
    const char **v = arena_alloc(a, sizeof(char *) * (size_t)(n->nkey ? n->nkey : 1));
    for (int i = 0; i < n->nkey; i++) v[i] = n->cols[n->key[i]].name;
    *out = v;
    return n->nkey;
}

static void collect_attrs(const PlanNode *n, Arena *a, ExplainAttrs *at)
{
    at->arena = a;
    at->n = 0;
    plan_ops[n->kind].describe(n, at);
    explain_attr(at, "changelog", changelog_name(node_changelog(n)));
    const char **key = NULL;
    int nk = node_key(n, a, &key);
    if (nk >= 0 && node_changelog(n) != CL_APPEND) explain_attr_list(at, "key", key, nk);
}

static void attrs_line(const PlanNode *n, const ExplainAttrs *at, StrBuf *out)
{
    sb_printf(out, "%s(", plan_label(n));
    for (int i = 0; i < at->n; i++) {
        sb_printf(out, "%s%s=[", i ? ", " : "", at->v[i].key);
        for (int j = 0; j < at->v[i].nvals; j++) sb_printf(out, "%s%s", j ? ", " : "", at->v[i].vals[j]);
        sb_putc(out, ']');
    }
    sb_putc(out, ')');
}

static void node_line(const PlanNode *n, bool changelog, Arena *a, StrBuf *out)
{
    ExplainAttrs at;
    if (changelog) {
        collect_attrs(n, a, &at);
    } else {
        at.arena = a;
        at.n = 0;
        plan_ops[n->kind].describe(n, &at);
    }
    attrs_line(n, &at, out);
}

void explain_node(const PlanNode *n, bool changelog, StrBuf *out)
{
    Arena a;
    arena_init(&a, 1024);
    node_line(n, changelog, &a, out);
    arena_free(&a);
}

void explain_state_node(const PlanNode *n, StrBuf *out)
{
    if (plan_ops[n->kind].describe_state) {
        Arena a;
        arena_init(&a, 1024);
        ExplainAttrs at = {.arena = &a};
        plan_ops[n->kind].describe_state(n, &at);
        attrs_line(n, &at, out);
        arena_free(&a);
    } else {
        explain_node(n, false, out);
    }
}

void explain_lineage(const PlanNode *n, StrBuf *out)
{
    explain_state_node(n, out);
    if (n->ninputs == 1) {
        sb_puts(out, " <- ");
        explain_lineage(n->inputs[0], out);
    } else if (n->ninputs > 1) {   /* several inputs: each lineage in parentheses */
        sb_puts(out, " <- (");
        for (int i = 0; i < n->ninputs; i++) {
            if (i) sb_puts(out, "; ");
            explain_lineage(n->inputs[i], out);
        }
        sb_putc(out, ')');
    }
}

/* One operator a line; its inputs below it, each led by ":- " (more follow)
 * or "+- " (the last), as Flink draws them.  `indent` is what the lines of
 * this subtree start with. */
/* An operator one tree reaches by several paths (plan_reuse.c: a view read
 * twice) is drawn once, as Flink draws reused sub-plans: its first line
 * ends in (reuse_id=[k]), later places show Reused(reference_id=[k]). */
typedef struct TextTree {
    int *visits;          /* per node id: paths that reach it in this tree */
    int *reuse;           /* per node id: its reuse id once drawn, 0 = not yet */
    int  next;            /* the next reuse id */
} TextTree;

static void count_visits(const PlanNode *n, int *visits)
{
    if (visits[n->id]++) return;   /* (its inputs were counted the first time) */
    for (int i = 0; i < n->ninputs; i++) count_visits(n->inputs[i], visits);
}

static void text_node(const PlanNode *n, const char *indent, const char *lead, TextTree *t, Arena *a, StrBuf *out)
{
    sb_printf(out, "%s%s", indent, lead);
    if (t->reuse[n->id]) {
        sb_printf(out, "Reused(reference_id=[%d])\n", t->reuse[n->id]);
        return;
    }
    node_line(n, true, a, out);
    if (t->visits[n->id] > 1) sb_printf(out, "(reuse_id=[%d])", t->reuse[n->id] = ++t->next);
    sb_putc(out, '\n');
    const char *sub = *lead ? arena_printf(a, "%s%s", indent, lead[0] == ':' ? ":  " : "   ") : indent;
    for (int i = 0; i < n->ninputs; i++) text_node(n->inputs[i], sub, i + 1 < n->ninputs ? ":- " : "+- ", t, a, out);
}

static void text_tree(const Plan *p, const PlanNode *root, Arena *a, StrBuf *out)
{
    TextTree t = {arena_alloc(a, sizeof(int) * (size_t)(p->nnodes + 1)), arena_alloc(a, sizeof(int) * (size_t)(p->nnodes + 1)), 0};
    memset(t.visits, 0, sizeof(int) * (size_t)(p->nnodes + 1));
    memset(t.reuse, 0, sizeof(int) * (size_t)(p->nnodes + 1));
    count_visits(root, t.visits);
    text_node(root, "", "", &t, a, out);
}

void explain_text(const Plan *p, StrBuf *out)
{
    Arena a;
    arena_init(&a, 4096);
    if (p->nstages > 1) {   /* run in parallel: each stage's trees, stage 0 first */
        for (int s = 0; s < p->nstages; s++) {
            const Plan *sp = p->stages[s];
            sb_printf(out, "%sStage %d:\n", s ? "\n" : "", s);
            for (int i = 0; i < sp->nsinks; i++) {
                if (i) sb_putc(out, '\n');
                text_tree(sp, &sp->sinks[i]->node, &a, out);
            }
            if (sp->root && sp->root->kind != PLAN_SINK) {   /* a SELECT's result */
                if (sp->nsinks) sb_putc(out, '\n');
                text_tree(sp, sp->root, &a, out);
            }
        }
    } else if (p->nsinks > 1) {   /* a statement set: each sink's tree; an operator they share appears in each */
        for (int i = 0; i < p->nsinks; i++) {
            if (i) sb_putc(out, '\n');
            text_tree(p, &p->sinks[i]->node, &a, out);
        }
    } else {
        text_tree(p, p->root, &a, out);
    }
    arena_free(&a);
}

static void json_node(const PlanNode *n, int depth, Arena *a, StrBuf *out)
{
    ExplainAttrs at;
    collect_attrs(n, a, &at);
    char ind[64];
    int w = depth * 2 + 2 < 60 ? depth * 2 + 2 : 60;
    for (int i = 0; i < w; i++) ind[i] = ' ';
    ind[w] = 0;
    sb_printf(out, "{\n%s\"id\": %d,\n%s\"operator\": ", ind, n->id, ind);
    sb_json_str(out, plan_label(n));
    sb_printf(out, ",\n%s\"changelog\": ", ind);
    sb_json_str(out, changelog_name(node_changelog(n)));
    const char **key = NULL;
    int nk = node_key(n, a, &key);
    sb_printf(out, ",\n%s\"key\": ", ind);
    if (nk < 0 || node_changelog(n) == CL_APPEND) {
        sb_puts(out, "null");
    } else {
        sb_putc(out, '[');
        for (int i = 0; i < nk; i++) {
            if (i) sb_puts(out, ", ");
            sb_json_str(out, key[i]);
        }
        sb_putc(out, ']');
    }
    sb_printf(out, ",\n%s\"attributes\": {", ind);
    int shown = 0;
    for (int i = 0; i < at.n; i++) {
        if (strcmp(at.v[i].key, "changelog") == 0 || strcmp(at.v[i].key, "key") == 0) continue;
        sb_puts(out, shown++ ? ", " : "");
        sb_json_str(out, at.v[i].key);
        sb_puts(out, ": ");
        if (at.v[i].list) sb_putc(out, '[');
        for (int j = 0; j < at.v[i].nvals; j++) {
            if (j) sb_puts(out, ", ");
            sb_json_str(out, at.v[i].vals[j]);
        }
        if (at.v[i].list) sb_putc(out, ']');
    }
    sb_printf(out, "},\n%s\"schema\": [", ind);
    for (int i = 0; i < n->ncols; i++) {
        StrBuf t = {0};
        type_print(&t, n->cols[i].type);
        sb_puts(out, i ? ", {\"name\": " : "{\"name\": ");
        sb_json_str(out, n->cols[i].name);
        sb_puts(out, ", \"type\": ");
        sb_json_str(out, t.s);
        sb_putc(out, '}');
        sb_free(&t);
    }
    /* "input": the one input (null for a source); operators with several
     * inputs list them under "inputs" instead. */
    if (n->ninputs <= 1) {
        sb_printf(out, "],\n%s\"input\": ", ind);
        if (n->ninputs) json_node(n->inputs[0], depth + 1, a, out);
        else sb_puts(out, "null");
    } else {
        sb_printf(out, "],\n%s\"inputs\": [", ind);
        for (int i = 0; i < n->ninputs; i++) {
            if (i) sb_puts(out, ", ");
            json_node(n->inputs[i], depth + 1, a, out);
        }
        sb_putc(out, ']');
    }
    sb_printf(out, "\n%.*s}", w - 2, ind);
}

void explain_json(const Plan *p, StrBuf *out)
{
    Arena a;
    arena_init(&a, 4096);
    if (p->nstages > 1) {   /* {"stages": [{"stage": 0, "sinks": [tree, …]}, …]} */
        sb_puts(out, "{\"stages\": [");
        for (int s = 0; s < p->nstages; s++) {
            const Plan *sp = p->stages[s];
            sb_printf(out, "%s{\"stage\": %d, \"sinks\": [", s ? ", " : "", s);
            for (int i = 0; i < sp->nsinks; i++) {
                if (i) sb_puts(out, ", ");
                json_node(&sp->sinks[i]->node, 2, &a, out);
            }
            if (sp->root && sp->root->kind != PLAN_SINK) {   /* a SELECT's result */
                if (sp->nsinks) sb_puts(out, ", ");
                json_node(sp->root, 2, &a, out);
            }
            sb_puts(out, "]}");
        }
        sb_puts(out, "]}");
    } else if (p->nsinks > 1) {   /* a statement set: {"sinks": [tree, …]} (shared operators carry the same id) */
        sb_puts(out, "{\"sinks\": [");
        for (int i = 0; i < p->nsinks; i++) {
            if (i) sb_puts(out, ", ");
            json_node(&p->sinks[i]->node, 1, &a, out);
        }
        sb_puts(out, "]}");
    } else {
        json_node(p->root, 0, &a, out);
    }
    arena_free(&a);
}
