/*
 * plan_reuse.c — a sub-plan written twice in one statement is computed
 * once (Flink's 'table.optimizer.reuse-sub-plan-enabled' and
 * 'table.optimizer.reuse-source-enabled', both on by default).
 *
 * A query that reads the same view twice — Nexmark's q5 computes one HOP
 * window aggregation over the bids in two subqueries and joins them —
 * gets two identical chains of operators when each use is bound afresh.
 * This pass, run over the nodes one statement added (before its
 * changelog requirement pass), keeps the first of each set of identical
 * nodes and hands the others' consumers to it: the rows are read,
 * decoded and aggregated once and delivered to every consumer.
 *
 * Two nodes are identical when
 *   kind       the same, one of: source, Calc, window table function,
 *              window aggregate, UNNEST
 *   inputs     the same nodes, in the same order (so the pass, going in
 *              node order, merges whole chains bottom up)
 *   output     the same column names and types, append-only both (an
 *              updating node's -U requirement is per consumer: never
 *              merged), the same unique key, watermark delay and per-row mode
 *   behaviour  a source: the same table, columns and watermark (as a
 *              statement set's INSERTs share a source); the others: the same
 *              EXPLAIN description, which names every expression, key,
 *              window and aggregate they compute
 * Nothing else is merged: operators with keyed state of another kind
 * (joins, group aggregates, Top-N, …) each keep their own.
 */
#include <string.h>

#include "plan.h"
#include "strbuf.h"

static bool mergeable_kind(PlanKind k)
{
    switch (k) {
    case PLAN_SOURCE:
    case PLAN_CALC:
    case PLAN_WINDOW_TVF:
    case PLAN_WINDOW_AGG:
    case PLAN_UNNEST:
        return true;
    default:
        return false;
    }
}

static bool same_output(const PlanNode *a, const PlanNode *b)
{
    if (a->ncols != b->ncols || a->updating || b->updating || a->per_row != b->per_row || a->wm_delay != b->wm_delay ||
        a->has_key != b->has_key || a->nkey != b->nkey)
        return false;
    for (int i = 0; i < a->nkey; i++)
        if (a->key[i] != b->key[i]) return false;
    for (int i = 0; i < a->ncols; i++) {
        const PlanCol *x = &a->cols[i], *y = &b->cols[i];
        if (strcmp(x->name, y->name) != 0 || !type_equal(x->type, y->type) || x->type.nullable != y->type.nullable ||
            x->type.timeattr != y->type.timeattr)
            return false;
    }
    return true;
}

static bool same_node(const PlanNode *a, const PlanNode *b)
{
    if (a->kind != b->kind || a->ninputs != b->ninputs || !same_output(a, b)) return false;
    for (int i = 0; i < a->ninputs; i++)
        if (a->inputs[i] != b->inputs[i]) return false;
    if (a->kind == PLAN_SOURCE) {
        const SourcePlan *x = plan_source(a), *y = plan_source(b);
        return plan_source_reads(x, y->table->name, y->src_cols, y->node.ncols, y->watermark != NULL, y->rowtime);
    }
    StrBuf x = {0}, y = {0};
    explain_node(a, false, &x);
    explain_node(b, false, &y);
    bool same = x.len == y.len && (x.len == 0 || memcmp(x.s, y.s, x.len) == 0);
    sb_free(&x);
    sb_free(&y);
    return same;
}

/* Hands dup's consumers to keep (their input ports now point at keep). */
static void redirect(Plan *p, PlanNode *dup, PlanNode *keep)
{
    PlanNode **outs = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(keep->nouts + dup->nouts + 1));
    if (keep->nouts) memcpy(outs, keep->outs, sizeof(PlanNode *) * (size_t)keep->nouts);
    for (int o = 0; o < dup->nouts; o++) {
        PlanNode *c = dup->outs[o];
        for (int port = 0; port < c->ninputs; port++)
            if (c->inputs[port] == dup) c->inputs[port] = keep;
        outs[keep->nouts++] = c;
    }
    keep->outs = outs;
    dup->nouts = 0;
    /* dup no longer feeds anything, and nothing it reads feeds it */
    for (int i = 0; i < dup->ninputs; i++) {
        PlanNode *in = dup->inputs[i];
        int k = 0;
        for (int o = 0; o < in->nouts; o++)
            if (in->outs[o] != dup) in->outs[k++] = in->outs[o];
        in->nouts = k;
    }
}

/* Drops the nodes marked in gone from Plan.nodes and Plan.sources, renumbering. */
static void compact(Plan *p, const bool *gone)
{
    int k = 0;
    for (int i = 0; i < p->nnodes; i++)
        if (!gone[i]) {
            p->nodes[k] = p->nodes[i];
            p->nodes[k]->id = k;
            k++;
        }
    p->nnodes = k;
    /* A source is kept when the node at its (new) id is still itself. */
    int s = 0;
    for (int i = 0; i < p->nsources; i++) {
        SourcePlan *sp = (SourcePlan *)p->sources[i];
        int id = sp->node.id;
        if (id >= p->nnodes || p->nodes[id] != &sp->node) continue;
        sp->index = s;
        p->sources[s++] = sp;
    }
    p->nsources = s;
}

void plan_reuse(Plan *p, int first)
{
    bool sub = p->config.reuse_sub_plan, src = p->config.reuse_source;
    if (!sub && !src) return;
    bool *gone = arena_alloc(&p->arena, sizeof(bool) * (size_t)(p->nnodes + 1));
    memset(gone, 0, sizeof(bool) * (size_t)(p->nnodes + 1));
    int merged = 0;
    for (int i = first; i < p->nnodes; i++) {
        PlanNode *n = p->nodes[i];
        if (!mergeable_kind(n->kind) || (n->kind == PLAN_SOURCE ? !src : !sub)) continue;
        for (int j = first; j < i; j++) {
            PlanNode *m = p->nodes[j];
            if (gone[j] || !same_node(m, n)) continue;
            redirect(p, n, m);
            gone[i] = true;
            merged++;
            break;
        }
    }
    if (merged) compact(p, gone);
}
