/*
 * plan_stage.c — cutting a plan into stages for a parallel run
 * (docs/scaling.md): parallelism.default > 1.
 *
 * A stage is a part of the plan whose rows never change hands: it runs as
 * tasks, task t reading partition t of each of its input topics.  Rows
 * must change hands before a keyed stateful operator (group aggregate,
 * join, Top-N, deduplication, window aggregate, OVER aggregate, window
 * join or rank, interval and temporal joins, a SESSION window: the key is
 * the operator's partition, group or join key) whose input is not already
 * partitioned by that key; and before a sink or a SELECT's result taking
 * updates, so that a key's changes come from one task.  There the plan is
 * cut by an exchange: the stage before ends in a sink into an internal
 * topic '<job>-x<k>' (a PlanTable whose connector is CONN_EXCHANGE, its
 * keycols the exchange key), the stage after begins with a source over the
 * same table.  An operator without a key (a global aggregate, a Top-N
 * without PARTITION BY) gets an exchange that sends every row to partition
 * 0 (no keycols).  A group aggregate over an append-only input whose calls
 * can all merge (COUNT, SUM, AVG, MIN, MAX, STDDEV_*, VAR_*, without
 * DISTINCT; FILTER is applied before) is split in two, as Flink's
 * two-phase aggregation: a LocalGroupAggregate before the exchange ships
 * one partial row per key and mini-batch, the GlobalGroupAggregate after
 * it merges the partials (AggPlan.merge).
 *
 * What is partitioned how is followed through the plan: rows of a Kafka
 * source are partitioned as its producer chose (unknown, except that an
 * upsert table's rows of a key are in one partition, as the default
 * partitioner puts them: its ChangelogNormalize needs no exchange); rows
 * after an exchange by its key, carried through operators that pass the
 * key columns on; VALUES rows and generated or scanned rows come from task
 * 0 only (job_set_task), as from one partition.  A two-input operator gets
 * an exchange on both inputs.
 *
 * Each stage is a complete Plan (Plan.stages): its nodes are copies of
 * the original's (renumbered, with their own edges; expressions and tables
 * shared), plus the exchanges' sinks and sources and the local aggregates.
 * A join's key that is an expression (a CAST to the type both sides meet
 * in) is evaluated by the exchange (PlanTable.keyexprs).  A UNION ALL whose
 * inputs come from different depths of exchanges (an aggregate's rows and
 * raw rows) puts an exchange, by the whole row, in front of the shallower
 * inputs, so that no stage reads its own output; should a plan still need
 * that, it is refused, naming the operator.
 */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "func.h"

/* Bytes of each kind's payload struct: a stage copies its nodes. */
static const size_t node_size[PLAN__COUNT] = {
    [PLAN_SOURCE] = sizeof(SourcePlan),     [PLAN_NORMALIZE] = sizeof(PlanNode),       [PLAN_CALC] = sizeof(CalcPlan),
    [PLAN_AGG] = sizeof(AggPlan),           [PLAN_SINK] = sizeof(SinkPlan),            [PLAN_COLLECT] = sizeof(CollectPlan),
    [PLAN_UNION] = sizeof(PlanNode),        [PLAN_WINDOW_AGG] = sizeof(WindowAggPlan), [PLAN_WINDOW_TVF] = sizeof(WindowTvfPlan),
    [PLAN_JOIN] = sizeof(JoinPlan),         [PLAN_INTERVAL_JOIN] = sizeof(IntervalJoinPlan),
    [PLAN_TEMPORAL_JOIN] = sizeof(TemporalJoinPlan), [PLAN_WINDOW_JOIN] = sizeof(WindowJoinPlan),
    [PLAN_LOOKUP_JOIN] = sizeof(LookupJoinPlan), [PLAN_VALUES] = sizeof(ValuesPlan), [PLAN_RANK] = sizeof(RankPlan),
    [PLAN_DEDUP] = sizeof(DedupPlan),       [PLAN_WINDOW_RANK] = sizeof(WindowRankPlan), [PLAN_OVER_AGG] = sizeof(OverAggPlan), [PLAN_OVER_AGG_UPDATE] = sizeof(OverAggPlan),
    [PLAN_UNNEST] = sizeof(UnnestPlan),     [PLAN_LOCAL_AGG] = sizeof(LocalAggPlan),
};

/* How a node's output rows are spread over the tasks of its stage. */
typedef enum PartKind {
    PART_ANY,             /* unknown (a Kafka topic's rows, as its producer put them) */
    PART_SINGLE,          /* every row in task 0 */
    PART_HASH,            /* by the hash of cols */
} PartKind;

typedef struct Part {
    PartKind    kind;     /* how */
    int        *cols;     /* PART_HASH: the output columns */
    int         n;        /* count */
} Part;

/* What an operator needs of input `port`: nothing (stateless, or already
 * placed by its source), or the rows of a key in one task. */
typedef struct Need {
    bool        keyed;    /* the rows of a key must meet in one task */
    int        *cols;     /* the key's columns of the input (none: every row in one place) */
    int         n;        /* count */
    BExpr     **exprs;    /* a join's key with an expression: the key expressions (cols NULL), else NULL */
} Need;

typedef struct Stager {
    Plan       *p;        /* the plan being cut */
    Diag       *d;        /* errors */
    Part       *part;     /* per node: its output's partitioning (after the exchanges in front of it) */
    bool      **cut;      /* per node and input port: an exchange in front */
    int        *comp;     /* per node: its stage (a union-find root until numbered) */
    bool       *two_phase;/* per node: an aggregate split into local and global */
    Need      **need;     /* per node and input port: what the exchange in front of it (if cut) is keyed by */
    int        *depth;    /* per node: exchanges on the longest path from a source to it */
} Stager;

/* ---- what operators need ---- */

static int *seq_cols(Plan *p, int n)
{
    int *c = arena_alloc(&p->arena, sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) c[i] = i;
    return c;
}

/* A join side's key: its columns, or (one is an expression: a CAST to the
 * type both sides meet in) the expressions, which the exchange evaluates. */
static void key_columns(Stager *sg, BExpr *const *keys, int nkeys, Need *nd)
{
    int *c = arena_alloc(&sg->p->arena, sizeof(int) * (size_t)(nkeys ? nkeys : 1));
    for (int k = 0; k < nkeys; k++) {
        if (keys[k]->kind != BX_COL) {
            nd->exprs = (BExpr **)keys;
            nd->cols = NULL;
            return;
        }
        c[k] = keys[k]->col;
    }
    nd->cols = c;
}

static int need_of(Stager *sg, const PlanNode *n, int port, Need *nd)
{
    Plan *p = sg->p;
    memset(nd, 0, sizeof *nd);
    const PlanNode *in = n->inputs[port];
    switch (n->kind) {
    case PLAN_AGG:
        nd->keyed = true, nd->n = plan_agg(n)->ngroup, nd->cols = seq_cols(p, nd->n);
        return 0;
    case PLAN_WINDOW_AGG:
        nd->keyed = true, nd->n = plan_window_agg(n)->ngroup, nd->cols = seq_cols(p, nd->n);
        return 0;
    case PLAN_WINDOW_TVF:   /* a SESSION's rows wait per partition; the others are tagged one by one */
        if (plan_window_tvf(n)->spec.kind != WIN_SESSION) return 0;
        nd->keyed = true, nd->n = plan_window_tvf(n)->npartition, nd->cols = plan_window_tvf(n)->partition;
        return 0;
    case PLAN_JOIN:
    case PLAN_INTERVAL_JOIN:
    case PLAN_TEMPORAL_JOIN:
    case PLAN_WINDOW_JOIN: {
        const JoinPlan *jp = plan_join(n);
        nd->keyed = true, nd->n = jp->nkeys;
        key_columns(sg, port ? jp->rkeys : jp->lkeys, jp->nkeys, nd);
        return 0;
    }
    case PLAN_RANK:
    case PLAN_WINDOW_RANK:
        nd->keyed = true, nd->n = plan_rank(n)->npartition, nd->cols = plan_rank(n)->partition;
        return 0;
    case PLAN_DEDUP:
        nd->keyed = true, nd->n = plan_dedup(n)->nkey, nd->cols = plan_dedup(n)->key;
        return 0;
    case PLAN_OVER_AGG:
    case PLAN_OVER_AGG_UPDATE:
        nd->keyed = true, nd->n = plan_over_agg(n)->npartition, nd->cols = plan_over_agg(n)->partition;
        return 0;
    case PLAN_SINK:
    case PLAN_COLLECT:
        /* a key's changes must come from one task, in order; a SELECT's LIMIT counts every row */
        if (n->kind == PLAN_COLLECT && plan_collect(n)->limit >= 0) {
            nd->keyed = true;
            return 0;
        }
        if (!in->updating) return 0;
        nd->keyed = true;
        if (in->has_key) nd->n = in->nkey, nd->cols = in->key;
        else nd->n = in->ncols, nd->cols = seq_cols(p, in->ncols);   /* a row's retraction meets the row */
        return 0;
    default:   /* stateless (calc, union, unnest, lookup join), or placed by its source (ChangelogNormalize) */
        return 0;
    }
}

/* Whether rows partitioned as pt already meet by the key: every row of a
 * key in one task. */
static bool part_serves(const Part *pt, const Need *nd)
{
    if (pt->kind == PART_SINGLE) return true;
    if (pt->kind != PART_HASH || nd->n == 0 || pt->n == 0 || nd->exprs) return false;
    for (int i = 0; i < pt->n; i++) {   /* hashed by a subset of the key: equal keys, equal hashes */
        bool in = false;
        for (int k = 0; k < nd->n && !in; k++) in = nd->cols[k] == pt->cols[i];
        if (!in) return false;
    }
    return true;
}

/* The input column output column o of n carries unchanged, or -1. */
static int pass_col(const PlanNode *n, int o)
{
    if (plan_ops[n->kind].passes) return plan_ops[n->kind].passes(n, o);
    switch (n->kind) {
    case PLAN_AGG: return o < plan_agg(n)->ngroup ? o : -1;
    case PLAN_LOCAL_AGG: return o < plan_local_agg(n)->ngroup ? o : -1;
    case PLAN_OVER_AGG:
    case PLAN_OVER_AGG_UPDATE: return o < plan_over_agg(n)->npass ? o : -1;
    case PLAN_NORMALIZE:
    case PLAN_RANK:
    case PLAN_WINDOW_RANK:
    case PLAN_DEDUP:
    case PLAN_UNNEST:
    case PLAN_LOOKUP_JOIN:
    case PLAN_JOIN:
    case PLAN_INTERVAL_JOIN:
    case PLAN_TEMPORAL_JOIN:
    case PLAN_WINDOW_JOIN:   /* the left's columns come first (a semi or anti join's output is the left's) */
        return o < n->inputs[0]->ncols ? o : -1;
    default: return -1;
    }
}

/* The partitioning of n's output, given its input's (in, on port 0). */
static void part_through(Stager *sg, const PlanNode *n, const Part *in, Part *out)
{
    memset(out, 0, sizeof *out);
    if (in->kind != PART_HASH) {
        out->kind = in->kind;
        return;
    }
    out->cols = arena_alloc(&sg->p->arena, sizeof(int) * (size_t)in->n);
    for (int i = 0; i < in->n; i++) {
        int found = -1;
        for (int o = 0; o < n->ncols && found < 0; o++)
            if (pass_col(n, o) == in->cols[i]) found = o;
        if (found < 0) return;   /* the key does not go through: PART_ANY */
        out->cols[i] = found;
    }
    out->kind = PART_HASH;
    out->n = in->n;
}

/* ---- two-phase aggregation ---- */

/* Whether an aggregate can be split into local and global phases: an
 * append-only input, mini-batches (Flink's changelog emits per row), and
 * every call one whose accumulators merge exactly in any order. */
static bool can_two_phase(const Plan *p, const PlanNode *n)
{
    if (p->config.one_phase_agg || p->flink_changelog || n->inputs[0]->updating) return false;
    const AggPlan *ap = plan_agg(n);
    for (int a = 0; a < ap->naggs; a++) {
        const BExpr *c = ap->aggs[a];
        if (c->distinct) return false;
        switch (c->fn->id) {
        case FN_COUNT: case FN_SUM: case FN_AVG: case FN_MIN: case FN_MAX:
        case FN_STDDEV_POP: case FN_STDDEV_SAMP: case FN_VAR_POP: case FN_VAR_SAMP:
            break;
        default:   /* FIRST_VALUE, LAST_VALUE, LISTAGG depend on the order rows come in */
            return false;
        }
    }
    return true;
}

/* ---- stages ---- */

static int comp_find(int *c, int i)
{
    while (c[i] != i) i = c[i] = c[c[i]];
    return i;
}

/* The job's name as a topic name: letters, digits, '.', '_' and '-'. */
static const char *topic_safe(Plan *p, const char *name)
{
    char *s = arena_strdup(&p->arena, name && *name ? name : "job");
    for (char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
            *c = '_';
    return s;
}

/* The exchange's table: the writer's columns, keyed by key (none: single). */
static PlanTable *exchange_table(Plan *p, const char *job, int k, const PlanNode *w, const Need *nd)
{
    const int *key = nd->cols;
    int nkey = nd->n;
    Arena *a = &p->arena;
    PlanTable *t = arena_alloc(a, sizeof *t);
    t->name = arena_printf(a, "%s-x%d", job, k);
    t->ncols = w->ncols;
    t->cols = arena_alloc(a, sizeof(CatColumn) * (size_t)(w->ncols ? w->ncols : 1));
    for (int i = 0; i < w->ncols; i++) {
        t->cols[i].name = w->cols[i].name;
        t->cols[i].type = w->cols[i].type;
        t->cols[i].kind = COL_PHYSICAL;
    }
    t->keycols = arena_alloc(a, sizeof(int) * (size_t)(nkey ? nkey : 1));
    if (nkey && key) memcpy(t->keycols, key, sizeof(int) * (size_t)nkey);
    t->nkeycols = nkey;
    t->keyexprs = nd->exprs;
    /* its changelog as the writer's (EXPLAIN shows it on the exchange) */
    t->npk = w->updating && w->has_key ? w->nkey : 0;
    t->pk = arena_alloc(a, sizeof(int) * (size_t)(t->npk ? t->npk : 1));
    if (t->npk) memcpy(t->pk, w->key, sizeof(int) * (size_t)t->npk);
    t->conn.kind = CONN_EXCHANGE;
    t->conn.connector = "exchange";
    t->conn.topic = t->name;
    t->conn.mode = !w->updating ? MODE_APPEND : w->before || !w->has_key ? MODE_RETRACT : MODE_UPSERT;
    return t;
}

/* A copy of n (its payload) without edges, appended to stage sp. */
static PlanNode *stage_add(Plan *p, Plan *sp, const PlanNode *n, size_t size)
{
    PlanNode *c = arena_alloc(&p->arena, size);
    memcpy(c, n, size);
    c->inputs = NULL, c->ninputs = 0, c->outs = NULL, c->nouts = 0;
    c->origin = n->id >= 0 && n->id < p->nnodes && p->nodes[n->id] == n ? n->id : -1;
    PlanNode **nodes = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(sp->nnodes + 1));
    if (sp->nnodes) memcpy(nodes, sp->nodes, sizeof(PlanNode *) * (size_t)sp->nnodes);
    nodes[sp->nnodes] = c;
    c->id = sp->nnodes++;
    sp->nodes = nodes;
    return c;
}

static void stage_edge(Plan *p, PlanNode *from, PlanNode *to)
{
    PlanNode **ins = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(to->ninputs + 1));
    if (to->ninputs) memcpy(ins, to->inputs, sizeof(PlanNode *) * (size_t)to->ninputs);
    ins[to->ninputs++] = from;
    to->inputs = ins;
    PlanNode **outs = arena_alloc(&p->arena, sizeof(PlanNode *) * (size_t)(from->nouts + 1));
    if (from->nouts) memcpy(outs, from->outs, sizeof(PlanNode *) * (size_t)from->nouts);
    outs[from->nouts++] = to;
    from->outs = outs;
}

static void stage_source(Plan *p, Plan *sp, SourcePlan *s)
{
    const SourcePlan **v = arena_alloc(&p->arena, sizeof(SourcePlan *) * (size_t)(sp->nsources + 1));
    if (sp->nsources) memcpy(v, sp->sources, sizeof(SourcePlan *) * (size_t)sp->nsources);
    s->index = sp->nsources;
    v[sp->nsources++] = s;
    sp->sources = v;
}

static void stage_sink(Plan *p, Plan *sp, const SinkPlan *s)
{
    const SinkPlan **v = arena_alloc(&p->arena, sizeof(SinkPlan *) * (size_t)(sp->nsinks + 1));
    if (sp->nsinks) memcpy(v, sp->sinks, sizeof(SinkPlan *) * (size_t)sp->nsinks);
    v[sp->nsinks++] = s;
    sp->sinks = v;
}

/* The stage's plan: the original's settings, no nodes yet. */
static Plan *stage_new(Plan *p, int i)
{
    Plan *sp = arena_alloc(&p->arena, sizeof *sp);
    memset(sp, 0, sizeof *sp);
    sp->settings = p->settings;
    sp->nsettings = p->nsettings;
    sp->config = p->config;
    sp->flink_changelog = p->flink_changelog;
    sp->name = p->name;
    sp->src = p->src;
    sp->srclen = p->srclen;
    sp->srcname = p->srcname;
    sp->srcpos = p->srcpos;
    sp->srcline = p->srcline;
    sp->srccol = p->srccol;
    sp->stage = i;
    return sp;
}

/* The writer side of the exchange in front of port `port` of n (stage of
 * the input), and the reader side: the exchange's source in n's stage,
 * returned. */
static PlanNode *exchange(Stager *sg, Plan **stages, PlanNode **copy, const char *job, int k, const PlanNode *n, int port,
                          const Need *nd)
{
    Plan *p = sg->p;
    const PlanNode *u = n->inputs[port];
    Plan *wsp = stages[sg->comp[u->id]], *rsp = stages[sg->comp[n->id]];
    PlanNode *w = copy[u->id];
    if (sg->two_phase[n->id]) {   /* local aggregate: [keys…, one partial per call] */
        const AggPlan *ap = plan_agg(n);
        LocalAggPlan la = {.node = {.kind = PLAN_LOCAL_AGG}, .ngroup = ap->ngroup, .aggs = ap->aggs, .naggs = ap->naggs};
        PlanNode *l = stage_add(p, wsp, &la.node, sizeof la);
        l->ncols = ap->ngroup + ap->naggs;
        l->cols = arena_alloc(&p->arena, sizeof(PlanCol) * (size_t)l->ncols);
        for (int i = 0; i < ap->ngroup; i++) l->cols[i] = u->cols[i];
        for (int a = 0; a < ap->naggs; a++) l->cols[ap->ngroup + a] = (PlanCol){n->cols[ap->ngroup + a].name, type_make(TY_BYTES, false)};
        l->key = seq_cols(p, ap->ngroup);
        l->per_row = false;
        stage_edge(p, w, l);
        w = l;
    }
    const PlanTable *t = exchange_table(p, job, k, w, nd);
    /* the writer: a sink into the exchange */
    SinkPlan sk = {.node = *w, .table = t, .nsink = w->ncols};
    sk.node.kind = PLAN_SINK;
    sk.node.feeds_upsert_sink = false;
    sk.node.wm_delay = 0;
    sk.sink_cols = seq_cols(p, w->ncols);
    sk.sink_map = sk.sink_cols;
    PlanNode *s = stage_add(p, wsp, &sk.node, sizeof sk);
    stage_edge(p, w, s);
    stage_sink(p, wsp, (const SinkPlan *)s);
    /* the reader: a source of the exchange, with the writer's rows as they were */
    SourcePlan sc = {.node = *w, .table = t, .rowtime = -1};
    sc.node.kind = PLAN_SOURCE;
    sc.node.wm_delay = 0;   /* the writer's watermark is already held back (the markers carry it) */
    sc.node.feeds_upsert_sink = u->feeds_upsert_sink;
    sc.src_cols = seq_cols(p, w->ncols);
    sc.needed = arena_alloc(&p->arena, sizeof(bool) * (size_t)(w->ncols ? w->ncols : 1));
    for (int i = 0; i < w->ncols; i++) sc.needed[i] = true;
    PlanNode *x = stage_add(p, rsp, &sc.node, sizeof sc);
    stage_source(p, rsp, (SourcePlan *)x);
    return x;
}

int plan_stages(Plan *p, Diag *d)
{
    if (p->stages) return 0;
    int nn = p->nnodes;
    Stager sg = {.p = p, .d = d};
    Arena *a = &p->arena;
    sg.part = arena_alloc(a, sizeof(Part) * (size_t)nn);
    sg.cut = arena_alloc(a, sizeof(bool *) * (size_t)nn);
    sg.comp = arena_alloc(a, sizeof(int) * (size_t)nn);
    sg.two_phase = arena_alloc(a, sizeof(bool) * (size_t)nn);
    sg.need = arena_alloc(a, sizeof(Need *) * (size_t)nn);
    sg.depth = arena_alloc(a, sizeof(int) * (size_t)nn);
    int ncuts = 0;
    /* 1. where the exchanges go, following the partitioning down the plan */
    for (int i = 0; i < nn; i++) {
        const PlanNode *n = p->nodes[i];
        Part *pt = &sg.part[i];
        memset(pt, 0, sizeof *pt);
        sg.comp[i] = i;
        sg.two_phase[i] = false;
        sg.cut[i] = arena_alloc(a, sizeof(bool) * (size_t)(n->ninputs ? n->ninputs : 1));
        sg.need[i] = arena_alloc(a, sizeof(Need) * (size_t)(n->ninputs ? n->ninputs : 1));
        sg.depth[i] = 0;
        if (n->kind == PLAN_VALUES) {   /* task 0's rows only */
            pt->kind = PART_SINGLE;
            continue;
        }
        if (n->kind == PLAN_SOURCE) {
            ConnKind ck = plan_source(n)->table->conn.kind;
            pt->kind = ck == CONN_KAFKA ? PART_ANY : PART_SINGLE;   /* generated or scanned rows: task 0's (job_pull) */
            continue;
        }
        Part in[2];
        bool two = n->ninputs == 2 && n->kind != PLAN_UNION;
        int maxd = 0;
        for (int port = 0; port < n->ninputs; port++)
            if (sg.depth[n->inputs[port]->id] > maxd) maxd = sg.depth[n->inputs[port]->id];
        for (int port = 0; port < n->ninputs; port++) {
            Need *q = &sg.need[i][port];
            if (need_of(&sg, n, port, q)) return d->code;
            const PlanNode *u = n->inputs[port];
            if (n->kind == PLAN_UNION && sg.depth[u->id] < maxd) {
                /* rows from an earlier stage than the union's other inputs: they change hands too (by the
                 * whole row, so that a retraction meets its row), or the stage would read its own output */
                q->keyed = true;
                q->n = u->ncols;
                q->cols = seq_cols(p, u->ncols);
            }
            const Part *up = &sg.part[n->inputs[port]->id];
            bool cut = q->keyed && !part_serves(up, q);
            if (two && q->keyed) {   /* both sides alike: hashed the same way by the same key, or both in task 0 */
                bool single = sg.part[n->inputs[0]->id].kind == PART_SINGLE && sg.part[n->inputs[1]->id].kind == PART_SINGLE;
                cut = !single;
            }
            sg.cut[i][port] = cut;
            ncuts += cut;
            if (sg.depth[u->id] + cut > sg.depth[i]) sg.depth[i] = sg.depth[u->id] + cut;
            if (port < 2) {
                in[port] = cut ? (Part){q->n ? PART_HASH : PART_SINGLE, q->cols, q->n} : *up;
                if (cut && q->exprs) in[port] = (Part){PART_ANY, NULL, 0};   /* (by values no column holds) */
            }
        }
        if (n->kind == PLAN_AGG && sg.cut[i][0] && can_two_phase(p, n)) sg.two_phase[i] = true;
        if (n->kind == PLAN_UNION) {
            bool single = true;
            for (int port = 0; port < n->ninputs; port++) single = single && sg.part[n->inputs[port]->id].kind == PART_SINGLE;
            pt->kind = single ? PART_SINGLE : PART_ANY;
        } else if (n->ninputs >= 1) {
            part_through(&sg, n, &in[0], pt);
        }
    }
    p->nstages = 1;
    if (ncuts == 0) {   /* one stage: the plan itself */
        p->stages = arena_alloc(a, sizeof(Plan *));
        p->stages[0] = p;
        return 0;
    }
    /* 2. stages: nodes joined by edges without an exchange */
    for (int i = 0; i < nn; i++) {
        const PlanNode *n = p->nodes[i];
        for (int port = 0; port < n->ninputs; port++) {
            if (sg.cut[i][port]) continue;
            int x = comp_find(sg.comp, i), y = comp_find(sg.comp, n->inputs[port]->id);
            if (x != y) sg.comp[x > y ? x : y] = x < y ? x : y;
        }
    }
    for (int i = 0; i < nn; i++) {
        const PlanNode *n = p->nodes[i];
        for (int port = 0; port < n->ninputs; port++)
            if (sg.cut[i][port] && comp_find(sg.comp, i) == comp_find(sg.comp, n->inputs[port]->id))
                return diag_error(d, DIAG_PLAN, p->srcpos,
                                  "parallelism.default > 1: the rows going into the %s would have to change hands, but what it "
                                  "feeds also meets them without a change of hands (its input is used again after it); eddy "
                                  "cannot run this plan in parallel yet: run it with parallelism 1", plan_label(n));
    }
    /* stage order: a stage after every stage it reads (longest path of exchanges) */
    int *level = arena_alloc(a, sizeof(int) * (size_t)nn);
    for (int i = 0; i < nn; i++) level[i] = 0;
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i < nn; i++) {
            const PlanNode *n = p->nodes[i];
            int ci = comp_find(sg.comp, i);
            for (int port = 0; port < n->ninputs; port++) {
                int cu = comp_find(sg.comp, n->inputs[port]->id);
                int want = level[cu] + (sg.cut[i][port] ? 1 : 0);
                if (want > level[ci]) level[ci] = want, moved = true;
            }
        }
    }
    int *order = arena_alloc(a, sizeof(int) * (size_t)nn), nst = 0;   /* root → stage number */
    for (int i = 0; i < nn; i++) order[i] = -1;
    for (int lv = 0; nst < nn; lv++) {
        bool any = false;
        for (int i = 0; i < nn; i++) {
            int c = comp_find(sg.comp, i);
            if (level[c] > lv) any = true;
            if (level[c] == lv && order[c] < 0) order[c] = nst++;
        }
        if (!any) break;
    }
    int *num = arena_alloc(a, sizeof(int) * (size_t)nn);
    for (int i = 0; i < nn; i++) num[i] = order[comp_find(sg.comp, i)];
    sg.comp = num;
    /* 3. each stage's plan: copies of its nodes, the exchanges' sinks and sources */
    Plan **stages = arena_alloc(a, sizeof(Plan *) * (size_t)nst);
    for (int s = 0; s < nst; s++) stages[s] = stage_new(p, s);
    PlanNode **copy = arena_alloc(a, sizeof(PlanNode *) * (size_t)nn);
    const char *job = topic_safe(p, p->name);
    int k = 0;
    for (int i = 0; i < nn; i++) {
        const PlanNode *n = p->nodes[i];
        Plan *sp = stages[sg.comp[i]];
        PlanNode *xs[64];
        if (n->ninputs > 64) return diag_error(d, DIAG_PLAN, p->srcpos, "parallelism.default > 1: a %s with more than 64 inputs", plan_label(n));
        for (int port = 0; port < n->ninputs; port++) {
            xs[port] = NULL;
            if (!sg.cut[i][port]) continue;
            xs[port] = exchange(&sg, stages, copy, job, k++, n, port, &sg.need[i][port]);
        }
        PlanNode *c = stage_add(p, sp, n, node_size[n->kind]);
        copy[i] = c;
        for (int port = 0; port < n->ninputs; port++) stage_edge(p, xs[port] ? xs[port] : copy[n->inputs[port]->id], c);
        if (sg.two_phase[i]) {
            AggPlan *ap = (AggPlan *)c;
            ap->merge = true;
            ap->partial_cols = n->inputs[0]->cols;
            ap->npartial = n->inputs[0]->ncols;
        }
        if (n->kind == PLAN_SOURCE) stage_source(p, sp, (SourcePlan *)c);
        if (n->kind == PLAN_VALUES) sp->nvalues++;
        if (n->kind == PLAN_SINK) {
            stage_sink(p, sp, (const SinkPlan *)c);
            if (plan_sink(c)->table->conn.mode == MODE_UPSERT && p->upsert_replay) sp->upsert_replay = true;
        }
    }
    /* a stage's root: the statement's sink or result if it is there, else its first sink (a table's before an exchange's) */
    for (int s = 0; s < nst; s++) {
        Plan *sp = stages[s];
        sp->root = NULL;
        for (int i = 0; i < sp->nsinks && !sp->root; i++)
            if (sp->sinks[i]->table->conn.kind != CONN_EXCHANGE) sp->root = (PlanNode *)&sp->sinks[i]->node;
        if (!sp->root && sp->nsinks) sp->root = (PlanNode *)&sp->sinks[0]->node;
    }
    stages[sg.comp[p->root->id]]->root = copy[p->root->id];
    p->stages = stages;
    p->nstages = nst;
    return 0;
}

/* ---- EXPLAIN ---- */

void plan_stage_describe_exchange(const PlanTable *t, ExplainAttrs *a)
{
    if (t->nkeycols) {
        StrBuf b = {0};
        sb_puts(&b, "hash[");
        const char **names = arena_alloc(a->arena, sizeof(char *) * (size_t)(t->ncols ? t->ncols : 1));
        for (int i = 0; i < t->ncols; i++) names[i] = t->cols[i].name;
        for (int i = 0; i < t->nkeycols; i++) {
            if (i) sb_puts(&b, ", ");
            if (t->keyexprs) bexpr_print(&b, t->keyexprs[i], names);
            else sb_puts(&b, names[t->keycols[i]]);
        }
        sb_putc(&b, ']');
        explain_attr(a, "distribution", arena_strdup(a->arena, b.s));
        sb_free(&b);
    } else {
        explain_attr(a, "distribution", "single");
    }
    explain_attr(a, "topic", t->conn.topic);
}

void plan_stage_describe_local_agg(const PlanNode *n, ExplainAttrs *a)
{
    const LocalAggPlan *g = plan_local_agg(n);
    const char **keys = arena_alloc(a->arena, sizeof(char *) * (size_t)(g->ngroup ? g->ngroup : 1));
    for (int i = 0; i < g->ngroup; i++) keys[i] = n->cols[i].name;
    explain_attr_list(a, "groupBy", keys, g->ngroup);
    const PlanNode *in = n->inputs[0];
    const char **names = arena_alloc(a->arena, sizeof(char *) * (size_t)(in->ncols ? in->ncols : 1));
    for (int i = 0; i < in->ncols; i++) names[i] = in->cols[i].name;
    const char **v = arena_alloc(a->arena, sizeof(char *) * (size_t)(g->naggs ? g->naggs : 1));
    for (int j = 0; j < g->naggs; j++) {
        StrBuf b = {0};
        bexpr_print(&b, g->aggs[j], names);
        v[j] = arena_printf(a->arena, "%s AS %s", b.s, n->cols[g->ngroup + j].name);
        sb_free(&b);
    }
    explain_attr_list(a, "partials", v, g->naggs);
}

void plan_stage_require_local_agg(PlanNode *n, bool need)
{
    (void)need;
    n->before = false;   /* inserts only */
}

const char *plan_stage_label_exchange(const PlanNode *n)
{
    const PlanTable *t = n->kind == PLAN_SINK ? plan_sink(n)->table : plan_source(n)->table;
    if (t->conn.kind == CONN_EXCHANGE) return "Exchange";
    return plan_ops[n->kind].name;
}

const char *plan_stage_label_agg(const PlanNode *n) { return plan_agg(n)->merge ? "GlobalGroupAggregate" : plan_ops[n->kind].name; }
