/*
 * exec.c — the executor: builds a Job (one OpState per plan node, wired by
 * the plan's edges), pushes each source's batches through the DAG, advances
 * operators when time moves, flushes mini-batches and takes checkpoints.
 * It knows no connector: a driver (connect/kafka_driver.c, or a program
 * through job_api.c) feeds records in and sink records out.
 */
#include "exec.h"
#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval.h"
#include "rowkey.h"
#include "options.h"
#include "state.h"

/* Operator behaviour per plan node kind: the one table to keep in sync. */
static const OpVTable *const op_vtables[PLAN__COUNT] = {
    [PLAN_SOURCE] = &op_source_vt,   [PLAN_NORMALIZE] = &op_normalize_vt, [PLAN_CALC] = &op_calc_vt,
    [PLAN_AGG] = &op_agg_vt,         [PLAN_SINK] = &op_sink_vt,           [PLAN_COLLECT] = &op_collect_vt,
    [PLAN_UNION] = &op_union_vt,     [PLAN_WINDOW_AGG] = &op_window_agg_vt, [PLAN_WINDOW_TVF] = &op_window_tvf_vt,
    [PLAN_JOIN] = &op_join_vt,
    [PLAN_INTERVAL_JOIN] = &op_interval_join_vt,
    [PLAN_TEMPORAL_JOIN] = &op_temporal_join_vt,
    [PLAN_WINDOW_JOIN] = &op_window_join_vt,
    [PLAN_LOOKUP_JOIN] = &op_lookup_join_vt,
    [PLAN_VALUES] = &op_values_vt,
    [PLAN_RANK] = &op_rank_vt,
    [PLAN_UNNEST] = &op_unnest_vt,
    [PLAN_DEDUP] = &op_dedup_vt,
    [PLAN_OVER_AGG] = &op_over_vt,
    [PLAN_WINDOW_RANK] = &op_window_rank_vt,
    [PLAN_LOCAL_AGG] = &op_local_agg_vt,
    [PLAN_OVER_AGG_UPDATE] = &op_over_update_vt,
};

int job_fail(Job *j, const char *fmt, ...)
{
    if (j->err[0]) return -1;   /* the first error is the one that matters */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, sizeof j->err, fmt, ap);
    va_end(ap);
    return -1;
}

void job_notice(Job *j, const char *fmt, ...)
{
    if (!j->notice) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j->notice(j->notice_ctx, msg);
}

void exec_eval_ctx(const OpState *s, EvalCtx *cx)
{
    memset(cx, 0, sizeof *cx);
    cx->arena = &s->job->batch_arena;
    cx->now_ms = s->job->clock_ms;
    cx->watermark = s->stats.watermark;
    cx->tz = s->job->plan->config.local_tz;
}

/* Most bytes of batch-arena blocks kept from one mini-batch to the next
 * (arena_reset keeps what the last batch used, up to this): a default
 * mini-batch of 100,000 rows of Nexmark's events with their strings takes
 * ~13 MiB, so a steady stream neither mallocs nor faults in pages per
 * batch; a larger batch mallocs only its excess. */
#define BATCH_ARENA_KEEP ((size_t)16 << 20)

/* Where two fingerprints differ.  A fingerprint is fields separated by
 * spaces outside brackets ("GroupAggregate/2 keys=STRING; aggs=COUNT(*);
 * input=Calc(…) <- …"); each field whose value differs is shown as
 * "aggs was 'COUNT(*);', now 'SUM($1:BIGINT);'", a long value trimmed to
 * where it differs. */
static size_t fp_field(const char *s, size_t i, size_t *end)
{
    int depth = 0;
    size_t j = i;
    for (; s[j] && !(s[j] == ' ' && depth == 0); j++) {
        if (s[j] == '(' || s[j] == '[') depth++;
        else if ((s[j] == ')' || s[j] == ']') && depth > 0) depth--;
    }
    *end = j;
    return j;
}

static void fp_value(const char *v, size_t len, size_t name, size_t from, size_t to, StrBuf *out)
{
    enum { MAX = 120 };
    while (to < len && (to == from || !strchr("]),;", v[to - 1]))) to++;   /* to the end of the item */
    sb_putc(out, '\'');
    if (from > name) sb_puts(out, "…");
    size_t n = to - from;
    sb_putn(out, v + from, n > MAX ? MAX : n);
    if (n > MAX || to < len) sb_puts(out, "…");
    sb_putc(out, '\'');
}

static void fingerprint_diff(const char *was, const char *now, StrBuf *out)
{
    size_t wi = 0, ni = 0;
    int shown = 0;
    while ((was[wi] || now[ni]) && shown < 2) {
        size_t we, ne;
        fp_field(was, wi, &we);
        fp_field(now, ni, &ne);
        const char *w = was + wi, *n = now + ni;
        size_t wl = we - wi, nl = ne - ni;
        if (wl != nl || memcmp(w, n, wl) != 0) {
            const char *eq = memchr(n, '=', nl);
            size_t name = eq ? (size_t)(eq - n) + 1 : 0;   /* "aggs=" */
            if (name > wl || memcmp(w, n, name) != 0) name = 0;
            size_t pre = name, suf = 0;
            while (pre < wl && pre < nl && w[pre] == n[pre]) pre++;
            while (suf < wl - pre && suf < nl - pre && w[wl - 1 - suf] == n[nl - 1 - suf]) suf++;
            if (pre > name + 20) pre -= 20; else pre = name;     /* a little context before */
            sb_printf(out, "%s%.*s was ", shown ? "; " : "", name ? (int)name - 1 : 5, name ? n : "state");
            w += name, n += name, wl -= name, nl -= name, pre -= name;   /* values without "aggs=" */
            name = 0;
            fp_value(w, wl, name, pre, wl - suf, out);
            sb_puts(out, ", now ");
            fp_value(n, nl, name, pre, nl - suf, out);
            shown++;
        }
        wi = was[we] ? we + 1 : we;
        ni = now[ne] ? ne + 1 : ne;
    }
    if (!shown) sb_puts(out, "its saved description differs");
}

/* A fingerprint as eddy wrote it before sources were summarised by
 * describe_state (state files of format 1 written up to 2026-12-02): each source's
 * state line replaced by its whole EXPLAIN line, so those files still
 * restore; job_attach_state then records the current fingerprint. */
static void legacy_fingerprint(const Plan *p, const char *fp, StrBuf *out)
{
    sb_puts(out, fp);
    for (int i = 0; i < p->nsources; i++) {
        const PlanNode *n = &p->sources[i]->node;
        StrBuf cur = {0}, old = {0}, next = {0};
        explain_state_node(n, &cur);
        explain_node(n, false, &old);
        const char *s = out->s, *hit;
        while ((hit = strstr(s, cur.s)) != NULL) {
            sb_putn(&next, s, (size_t)(hit - s));
            sb_puts(&next, old.s);
            s = hit + cur.len;
        }
        sb_puts(&next, s);
        sb_free(out);
        *out = next;
        sb_free(&cur);
        sb_free(&old);
    }
}

int job_attach_state(Job *j, StateStore *st)
{
    j->state = st;
    /* Stateful operators by ordinal: their fingerprints must match what the file holds. */
    int nrec = state_operator_count(st);
    int op = 0, rc = -1;
    bool fresh = nrec == 0;
    const char *old_topic = state_get_meta(st, "source_topic");
    StrBuf topics = {0}, fp = {0}, desc = {0};
    job_source_topics(j, &topics);
    if (!fresh && old_topic && strcmp(old_topic, topics.s) != 0) {
        job_fail(j, "the state file was written by a job reading topic '%s', this one reads '%s'; start fresh with --reset-state",
                 old_topic, topics.s);
        goto out;
    }
    for (int i = 0; i < j->nops; i++) {
        OpState *o = &j->ops[i];
        if (!o->vt->checkpoint) continue;
        sb_free(&fp);
        sb_free(&desc);
        o->vt->fingerprint(o->node, &fp);
        explain_node(o->node, false, &desc);
        /* Fingerprints carry their lineage (a UNION of many branches makes
         * them long): the saved one is read into room for the longer of ours
         * and its legacy form and one more byte, so equal ones compare whole
         * and a longer one differs. */
        StrBuf lfp = {0};   /* as written before sources kept only what state depends on */
        if (!fresh) legacy_fingerprint(j->plan, fp.s, &lfp);
        char kind[64], odesc[8192];
        size_t ofpcap = (fp.len > lfp.len ? fp.len : lfp.len) + 2;
        char *ofp = malloc(ofpcap);
        if (!ofp) abort();
        int have = fresh ? 1 : state_get_operator(st, op, kind, sizeof kind, ofp, ofpcap, odesc, sizeof odesc);
        bool same = have == 0 && strcmp(ofp, fp.s) == 0;
        bool legacy = have == 0 && !same && lfp.s && strcmp(ofp, lfp.s) == 0;
        same = same || legacy;
        sb_free(&lfp);
        if (have < 0) {
            free(ofp);
            job_fail(j, "%s", state_errmsg(st));
            goto out;
        }
        if (!fresh && !same) {
            if (have > 0) {
                job_fail(j, "the query changed in a way its saved state cannot follow: stateful operator %d, %s, is new; "
                            "start fresh with --reset-state (the job then reprocesses its input from scan.startup.mode)",
                         op, desc.s);
            } else {
                StrBuf why = {0};
                fingerprint_diff(ofp, fp.s, &why);
                job_fail(j, "the query changed in a way its saved state cannot follow: stateful operator %d, %s: %s; "
                            "start fresh with --reset-state (the job then reprocesses its input from scan.startup.mode)",
                         op, desc.s, why.s);
                sb_free(&why);
            }
            free(ofp);
            goto out;
        }
        free(ofp);
        if ((fresh || legacy) && state_set_operator(st, op, plan_ops[o->node->kind].name, fp.s, desc.s)) {
            job_fail(j, "%s", state_errmsg(st));
            goto out;
        }
        op++;
    }
    if (!fresh && nrec != op) {
        job_fail(j, "the query changed in a way its saved state cannot follow: the state file has %d stateful operators, the query %d; "
                    "start fresh with --reset-state", nrec, op);
        goto out;
    }
    if (fresh) {
        state_set_meta(st, "source_topic", topics.s);
        state_set_meta(st, "job", j->plan->name);
    }
    rc = 0;
out:
    sb_free(&topics);
    sb_free(&fp);
    sb_free(&desc);
    if (rc) return rc;
    /* checkpoint numbers go on from the file's (a job without stateful
     * operators too: a database sink's marker is compared with them) */
    const char *num = state_get_meta(st, "checkpoint");
    if (num) opt_parse_int(num, &j->ckpt_base);
    if (fresh) return 0;
    int64_t t0 = mono_us();
    op = 0;
    for (int i = 0; i < j->nops; i++) {
        OpState *o = &j->ops[i];
        if (!o->vt->checkpoint) continue;
        if (o->vt->restore(o, st, op++)) return -1;
    }
    j->stats.restore_us = mono_us() - t0;
    return 0;
}

/* Checkpoint number ckpt is committed: operators that act on it (an
 * exchange's commit marker) are told. */
static int checkpoint_committed(Job *j)
{
    int64_t ckpt = j->ckpt_base + j->stats.checkpoints;
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].vt->committed && j->ops[i].vt->committed(&j->ops[i], ckpt)) return -1;
    return 0;
}

/* One transaction for the collected checkpoint, then its log (Job.logged):
 * 0, -1 (the state file's error) or -2 (the log's: writer_err). */
static int checkpoint_write(Job *j)
{
    if (state_write(j->state, j->ckpt_write)) return -1;
    if (j->logged && j->logged(j->logged_ctx, j->state, j->ckpt_write_num, j->ckpt_write, j->writer_err, sizeof j->writer_err))
        return -2;
    return 0;
}

/* The checkpoint's failure (writer_rc), as the job's error. */
static int checkpoint_failed(Job *j)
{
    if (j->writer_rc == -2) return job_fail(j, "%s (checkpoint committed to the state file but not to its changelog)", j->writer_err);
    return job_fail(j, "%s (checkpoint not taken)", state_errmsg(j->state));
}

/* The writer thread: one transaction for the collected checkpoint. */
static void *checkpoint_writer(void *arg)
{
    Job *j = arg;
    j->writer_rc = checkpoint_write(j);
    __atomic_store_n(&j->writer_done, true, __ATOMIC_RELEASE);
    return NULL;
}

bool job_checkpoint_busy(const Job *j) { return j->acking || (j->writing && !__atomic_load_n(&j->writer_done, __ATOMIC_ACQUIRE)); }

/* The collected checkpoint (ckpt_write) goes to the writer thread. */
static int checkpoint_start(Job *j)
{
    char *ends = j->out.ends ? j->out.ends(j->out.ctx) : NULL;   /* every record before the checkpoint is acknowledged now */
    if (ends) state_batch_meta(j->ckpt_write, "upsert_sink_from", ends);
    free(ends);
    j->writing = true;
    j->writer_done = false;
    if (pthread_create(&j->writer, NULL, checkpoint_writer, j) != 0) {
        j->writing = false;
        j->writer_rc = checkpoint_write(j);   /* no thread: write here */
        if (j->writer_rc) return checkpoint_failed(j);
        j->stats.checkpoints++;
        return checkpoint_committed(j);
    }
    return 0;
}

/* Waits for the checkpoint being written; 0 once it is committed. */
static int checkpoint_wait(Job *j)
{
    if (!j->writing) return 0;
    pthread_join(j->writer, NULL);
    j->writing = false;
    state_batch_clear(j->ckpt_write);   /* committed: its copies are not needed any more */
    if (j->writer_rc) return checkpoint_failed(j);
    j->stats.checkpoints++;
    return checkpoint_committed(j);
}

/*
 * A checkpoint: emit the mini-batch, have the sink acknowledge everything,
 * collect the changed state and the offsets in memory (the pause of
 * processing), then let the writer thread commit them while the job goes
 * on.  The previous checkpoint's write is waited for first, so checkpoints
 * commit in order and at most one is in flight; a crash before a commit
 * restarts from the checkpoint before it, which replays correctly.
 */
void job_source_topics(const Job *j, StrBuf *out)
{
    for (int i = 0; i < j->plan->nsources; i++) sb_printf(out, "%s%s", i ? "," : "", job_source_position(j, i));
    if (!out->s) sb_puts(out, "");
}

/* The offsets a checkpoint records: the driver's, lowered where a source
 * holds records it has not applied yet (OpVTable.rewind). */
static const SourceOffset *rewound_offsets(Job *j, const SourceOffset *offsets, int n)
{
    bool any = false;
    for (int i = 0; i < j->nops && !any; i++) any = j->ops[i].vt->rewind != NULL;
    if (!any || n == 0) return offsets;
    if (j->nrewound < n) {
        free(j->rewound);
        j->rewound = xcalloc((size_t)n, sizeof *j->rewound);
        j->nrewound = n;
    }
    memcpy(j->rewound, offsets, sizeof *offsets * (size_t)n);
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].vt->rewind) j->ops[i].vt->rewind(&j->ops[i], j->rewound, n);
    return j->rewound;
}

int job_checkpoint(Job *j, const SourceOffset *offsets, int nparts)
{
    if (!j->state) return 0;
    int64_t t0 = mono_us();
    char err[512];
    if (checkpoint_wait(j)) return -1;
    if (j->acking) return job_fail(j, "a checkpoint was started before the previous one was acknowledged");
    if (j->pending && job_flush(j)) return -1;
    /* Every record the state reflects must be delivered before it is
     * committed: with an output that says so without waiting, the commit
     * waits for them while the job goes on (job_checkpoint_poll); else the
     * sink is flushed now. */
    bool async = j->out.queued && j->out.acked;
    if (!async && j->out.flush && j->out.flush(j->out.ctx, -1, err, sizeof err))
        return job_fail(j, "sink: %s (checkpoint not taken)", err);
    /* With acknowledgements without waiting, nothing is waited for here:
     * the commit waits for them while the job goes on.  (Checkpoints once
     * gave such a sink up to 2 s to deliver everything queued first: a
     * stall of the job at every checkpoint, 2.26 → 2.11 s for the
     * enrichment join of bench/run.sh without it, 6 alternating runs.) */
    if (!j->ckpt_fill) j->ckpt_fill = state_batch_new();
    StateBatch *b = j->ckpt_fill;
    state_batch_clear(b);
    j->dirty_bytes = j->fresh_bytes = j->xrows = 0;
    int op = 0;
    for (int i = 0; i < j->nops; i++) {
        OpState *o = &j->ops[i];
        if (!o->vt->checkpoint) continue;
        if (o->vt->checkpoint(o, b, op++)) return -1;
    }
    j->ckpt_written = (int64_t)state_batch_rows(b);
    offsets = rewound_offsets(j, offsets, nparts);
    /* Nothing changed and no source moved since the last one: nothing to write. */
    bool moved = j->ckpt_written > 0 || !j->ckpt_offsets || j->ckpt_nparts != nparts;
    for (int p = 0; p < nparts && !moved; p++) moved = j->ckpt_offsets[p].offset != offsets[p].offset;
    if (!moved) {
        j->stats.ckpt_last_us = mono_us() - t0;
        return 0;
    }
    if (j->ckpt_nparts != nparts) {
        free(j->ckpt_offsets);
        j->ckpt_offsets = calloc((size_t)(nparts > 0 ? nparts : 1), sizeof *j->ckpt_offsets);
        if (!j->ckpt_offsets) abort();
        j->ckpt_nparts = nparts;
    }
    if (nparts) memcpy(j->ckpt_offsets, offsets, sizeof *offsets * (size_t)nparts);
    for (int p = 0; p < nparts; p++)
        if (offsets[p].offset >= 0) state_batch_offset(b, offsets[p].topic, offsets[p].partition, offsets[p].offset);
    int64_t ckpt = j->ckpt_base + j->stats.checkpoints + 1 + j->writing;
    /* Database sinks commit their rows with this checkpoint's marker first:
     * the state file never runs ahead of them (docs/postgres-sink.md). */
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].vt->commit && j->ops[i].vt->commit(&j->ops[i], ckpt, offsets, nparts)) return -1;
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)ckpt);
    state_batch_meta(b, "checkpoint", num);
    snprintf(num, sizeof num, "%lld", (long long)time(NULL));
    state_batch_meta(b, "checkpoint_time", num);
    if (j->ckpt_meta_dl) state_batch_meta(b, "dead_letter_from", j->ckpt_meta_dl);
    state_batch_set_last(b, j->stopping);
    j->ckpt_fill = j->ckpt_write;
    j->ckpt_write = b;
    j->ckpt_write_num = ckpt;
    j->stats.ckpt_keys = j->ckpt_written;
    j->stats.ckpt_bytes = (int64_t)state_batch_bytes(b);
    j->stats.ckpt_last_us = mono_us() - t0;
    if (j->stats.ckpt_last_us > j->stats.ckpt_max_us) j->stats.ckpt_max_us = j->stats.ckpt_last_us;
    if (async) {
        j->acking = true;
        j->ack_mark = j->out.queued(j->out.ctx);
        j->ack_since = mono_ms();
        return job_checkpoint_poll(j);   /* nothing outstanding: written at once */
    }
    return checkpoint_start(j);
}

int job_checkpoint_poll(Job *j)
{
    /* a write that has finished is joined now, so that what waits for its
     * commit (an exchange's marker) need not wait for the next checkpoint */
    if (!j->acking && j->writing && __atomic_load_n(&j->writer_done, __ATOMIC_ACQUIRE)) return checkpoint_wait(j);
    if (!j->acking) return 0;
    char err[512];
    int r = j->out.acked(j->out.ctx, j->ack_mark, err, sizeof err);
    if (r < 0) {
        j->acking = false;
        return job_fail(j, "sink: %s (checkpoint not taken)", err);
    }
    if (r == 0) return 0;
    j->acking = false;
    return checkpoint_start(j);
}

static int dl_cmp(const void *a, const void *b)
{
    const DeadLetterSeen *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

void job_dead_letter_found(Job *j, DeadLetterSeen *seen, int n)
{
    for (int i = 0; i < j->ndl_seen; i++) free(j->dl_seen[i].topic);
    free(j->dl_seen);
    j->dl_seen = seen;
    j->ndl_seen = n;
    if (n > 1) qsort(seen, (size_t)n, sizeof *seen, dl_cmp);
}

bool job_dead_letter_seen(const Job *j, const char *topic, int32_t partition, int64_t offset)
{
    if (!j->ndl_seen) return false;
    DeadLetterSeen key = {(char *)topic, partition, offset};
    return bsearch(&key, j->dl_seen, (size_t)j->ndl_seen, sizeof key, dl_cmp) != NULL;
}

int job_checkpoint_sync(Job *j)
{
    if (j->acking) return job_fail(j, "the last checkpoint still waits for the sink's acknowledgements");
    return checkpoint_wait(j);
}

int job_sinks_open(Job *j, SourceOffset **ahead, int *nahead)
{
    *ahead = NULL;
    *nahead = 0;
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].vt->open && j->ops[i].vt->open(&j->ops[i], ahead, nahead)) return -1;
    j->sinks_catching_up = *ahead != NULL;
    return 0;
}

int job_sinks_commit(Job *j)
{
    for (int i = 0; i < j->nops; i++)
        if (j->ops[i].vt->commit && j->ops[i].vt->commit(&j->ops[i], 0, NULL, 0)) return -1;
    return 0;
}

int job_open_state(Job *j, const char *path, bool reset, char *err, size_t errlen)
{
    StateStore *st;
    if (state_open(path, &st, err, errlen)) return -1;
    if (reset && state_reset(st, err, errlen)) {
        state_close(st);
        return -1;
    }
    if (job_attach_state(j, st)) {   /* the job owns st now, even on failure */
        const char *m = j->err;
        if (strstr(m, path)) snprintf(err, errlen, "%.1000s", m);   /* already names the file */
        else {
            if (strncmp(m, "state file: ", 12) == 0) m += 12;
            snprintf(err, errlen, "state file %.400s: %.600s", path, m);
        }
        return -1;
    }
    return 0;
}

bool job_resumed(const Job *j)
{
    if (!j->state) return false;
    bool any = j->stats.restored_keys > 0;
    for (int i = 0; i < j->plan->nsources && !any; i++) any = state_has_offsets(j->state, job_source_position(j, i));
    return any;
}

Job *job_new(const Plan *p, char *err, size_t errlen)
{
    Job *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->plan = p;
    arena_init(&j->batch_arena, 64 * 1024);
    j->latency_ms = p->config.minibatch_latency_ms;
    j->batch_rows = p->config.minibatch_size;
    j->ckpt_interval_ms = p->config.checkpoint_ms;
    j->ntasks = 1;
    j->nops = p->nnodes;
    j->ops = calloc((size_t)j->nops, sizeof *j->ops);
    pthread_mutex_init(&j->snap_mu, NULL);
    j->snap.nops = j->nops;
    j->snap.ops = calloc((size_t)j->nops + 1, sizeof *j->snap.ops);
    if (!j->snap.ops) abort();
    j->nsources = p->nsources;
    j->sources = calloc((size_t)j->nsources + 1, sizeof *j->sources);
    if (!j->ops || !j->sources) abort();
    /* Operators and edges first (an operator's init may look at its consumers). */
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        s->node = p->nodes[i];
        s->vt = op_vtables[s->node->kind];
        s->job = j;
        s->stats.watermark = INT64_MIN;
        s->nouts = s->node->nouts;
        s->outs = calloc((size_t)s->nouts + 1, sizeof *s->outs);
        if (!s->outs) abort();
        for (int o = 0; o < s->nouts; o++) {
            /* A consumer fed twice by this node (a self-join over one
             * source) is in outs once per port: the k-th time, its k-th port. */
            const PlanNode *c = s->node->outs[o];
            int seen = 0;
            for (int e = 0; e < o; e++) seen += s->node->outs[e] == c;
            s->outs[o].to = &j->ops[c->id];
            for (int port = 0; port < c->ninputs; port++)
                if (c->inputs[port] == s->node && seen-- == 0) {
                    s->outs[o].port = port;
                    break;
                }
        }
        batch_init(&s->out, s->node->ncols, &j->batch_arena);
    }
    for (int i = 0; i < j->nsources; i++) j->sources[i] = &j->ops[p->sources[i]->node.id];
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        if (s->vt->init(s)) {
            snprintf(err, errlen, "%s", j->err);
            job_free(j);
            return NULL;
        }
    }
    return j;
}

void job_free(Job *j)
{
    if (!j) return;
    for (int i = 0; i < j->nops; i++) {
        if (j->ops[i].vt && j->ops[i].vt->end) j->ops[i].vt->end(&j->ops[i]);
        batch_free(&j->ops[i].out);
        free(j->ops[i].outs);
    }
    free(j->ops);
    free(j->sources);
    arena_free(&j->batch_arena);
    if (j->writing) pthread_join(j->writer, NULL);
    state_batch_free(j->ckpt_fill);
    state_batch_free(j->ckpt_write);
    free(j->ckpt_offsets);
    free(j->rewound);
    free(j->ckpt_meta_dl);
    for (int i = 0; i < j->ndl_seen; i++) free(j->dl_seen[i].topic);
    free(j->dl_seen);
    state_close(j->state);
    job_snap_free(&j->snap);
    pthread_mutex_destroy(&j->snap_mu);
    free(j);
}

/* Hands what `from` just emitted (from->out) to each of its consumers,
 * depth first: a consumer's output has reached every operator downstream
 * before the next consumer runs, so one output batch per operator does. */
static int deliver(Job *j, OpState *from)
{
    Batch *in = &from->out;
    if (in->n == 0) return 0;
    from->stats.rows_out += in->n;
    for (int e = 0; e < from->nouts; e++) {
        OpState *s = from->outs[e].to;
        batch_clear(&s->out);
        s->stats.rows_in += in->n;
        int64_t t0 = mono_us();
        int rc = s->vt->process(s, from->outs[e].port, in, &s->out);
        s->stats.time_ns += (mono_us() - t0) * 1000;
        if (rc || deliver(j, s)) return -1;
    }
    return 0;
}

int job_start(Job *j)
{
    if (j->started) return j->err[0] ? -1 : 0;
    j->started = true;
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        if (!s->vt->start) continue;
        batch_clear(&s->out);
        if (s->vt->start(s, &s->out) || deliver(j, s)) return -1;
        j->pending += s->out.n;
    }
    return 0;
}

int job_flush(Job *j)
{
    if (!j->started && job_start(j)) return -1;
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        if (!s->vt->flush) continue;
        batch_clear(&s->out);
        int64_t t0 = mono_us();
        int rc = s->vt->flush(s, &s->out);
        s->stats.time_ns += (mono_us() - t0) * 1000;
        if (rc || deliver(j, s)) return -1;
    }
    j->pending = 0;
    j->stats.flushes++;
    /* nothing holds batch memory past a flush; its blocks are kept for the
    ** next batch (bounded: a huge batch's extra blocks go back) */
    arena_reset(&j->batch_arena, BATCH_ARENA_KEEP);
    return 0;
}

int job_advance(Job *j, int source, int64_t watermark)
{
    if (j->err[0]) return -1;
    if (source < 0 || source >= j->nsources) return job_fail(j, "no source %d", source);
    OpState *src = j->sources[source];
    if (watermark <= src->stats.watermark) return 0;
    src->stats.watermark = watermark;
    /* Plan order puts inputs first, so one pass sees every rise. */
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        const PlanNode *n = s->node;
        if (n->ninputs == 0) continue;
        int64_t wm = INT64_MAX;
        for (int p = 0; p < n->ninputs; p++) {
            int64_t w = j->ops[n->inputs[p]->id].stats.watermark;
            /* an input that holds its output watermark back (the planner's wm_delay) */
            int64_t lag = n->inputs[p]->wm_delay;
            if (lag > 0 && w != INT64_MIN && w != INT64_MAX) w = w > INT64_MIN + lag ? w - lag : INT64_MIN;
            if (w < wm) wm = w;
        }
        if (wm <= s->stats.watermark) continue;
        s->stats.watermark = wm;
        if (!s->vt->advance) continue;
        batch_clear(&s->out);
        int64_t t0 = mono_us();
        int rc = s->vt->advance(s, wm, &s->out);
        s->stats.time_ns += (mono_us() - t0) * 1000;
        if (rc || deliver(j, s)) return -1;
        /* what fired may wait in a mini-batch operator downstream (a GROUP
        ** BY over a window's rows): a stop after the final watermark must
        ** flush it, as after records */
        j->pending += s->out.n;
    }
    return 0;
}

int job_set_clock(Job *j, int64_t now_ms)
{
    if (j->err[0]) return -1;
    if (now_ms <= j->clock_ms) return 0;
    j->clock_ms = now_ms;
    for (int i = 0; i < j->nops; i++) {
        OpState *s = &j->ops[i];
        if (!s->vt->clock) continue;
        batch_clear(&s->out);
        int64_t t0 = mono_us();
        int rc = s->vt->clock(s, now_ms, &s->out);
        s->stats.time_ns += (mono_us() - t0) * 1000;
        if (rc || deliver(j, s)) return -1;
    }
    /* a partition silent for the idle timeout no longer holds its source back */
    for (int src = 0; src < j->nsources; src++)
        if (wm_advance(j, src)) return -1;
    return 0;
}

void job_set_task(Job *j, int task, int ntasks)
{
    j->task = task;
    j->ntasks = ntasks > 0 ? ntasks : 1;
}

bool job_inputs_ended(const Job *j)
{
    for (int i = 0; i < j->nsources; i++)
        if (j->sources[i]->vt->ended && !j->sources[i]->vt->ended(j->sources[i])) return false;
    return true;
}

bool job_source_pulls(const Job *j, int source) { return source >= 0 && source < j->nsources && j->sources[source]->vt->pull; }

const char *job_source_position(const Job *j, int source)
{
    const OpState *src = j->sources[source];
    return job_source_pulls(j, source) ? src->vt->position(src) : plan_source(src->node)->table->conn.topic;
}

int job_pull(Job *j, int source, int64_t *pos, int64_t max, bool *done)
{
    if (j->err[0]) return -1;
    if (!job_source_pulls(j, source)) return job_fail(j, "source %d is not read by pulling", source);
    if (!j->started && job_start(j)) return -1;
    OpState *src = j->sources[source];
    batch_clear(&src->out);
    *done = false;
    if (j->task != 0) {   /* generated or scanned rows are task 0's: other tasks of the stage have none */
        *done = true;
        return job_advance(j, source, INT64_MAX);
    }
    int64_t t0 = mono_us();
    int rc = src->vt->pull(src, pos, max, &src->out, done);
    src->stats.time_ns += (mono_us() - t0) * 1000;
    if (rc) return -1;
    src->stats.rows_in += src->out.n;
    j->stats.records_in += src->out.n;
    j->pending += src->out.n;
    /* A source with a WATERMARK of its own (datagen): as job_push does. */
    WmGen *wm = source_wmgen(src);
    if (wm && src->out.n && wm_rows(src, wm, &src->out)) return -1;
    if (deliver(j, src)) return -1;
    if (wm && !*done && wm_advance(j, source)) return -1;
    return *done ? job_advance(j, source, INT64_MAX) : 0;
}

int job_push(Job *j, int source, const RawRecord *recs, int n)
{
    if (j->err[0]) return -1;
    if (source < 0 || source >= j->nsources) return job_fail(j, "no source %d", source);
    if (job_source_pulls(j, source))   /* a jdbc table is read from its database, never fed records */
        return job_fail(j, "table '%s' is read from its database (a jdbc scan), not from records given to it",
                        plan_source(j->sources[source]->node)->table->name);
    if (!j->started && job_start(j)) return -1;
    OpState *src = j->sources[source];
    WmGen *wm = source_wmgen(src);
    /* The source decodes records; RawRecords travel as a pseudo-batch. */
    int step = j->per_record ? 1 : n;
    j->cur_src = src;
    for (int at = 0; at < n; at += step) {
        int cnt = n - at < step ? n - at : step;
        batch_clear(&src->out);
        j->cur_recs = recs + at;
        int64_t t0 = mono_us();
        int rc = source_decode(src, recs + at, cnt, &src->out);
        src->stats.time_ns += (mono_us() - t0) * 1000;
        src->stats.rows_in += cnt;
        if (rc) return -1;
        j->stats.records_in += cnt;
        /* Event time: the batch's WATERMARK values first (while its rows are
         * whole), the watermark moves after its rows went through (Flink
         * emits a watermark after the records it follows). */
        if (wm && wm_rows(src, wm, &src->out)) return -1;
        if (deliver(j, src)) return -1;
        if (wm && wm_advance(j, source)) return -1;
        j->pending += cnt;
        if (j->per_record && job_flush(j)) return -1;
    }
    j->cur_recs = NULL;
    j->cur_src = NULL;
    return 0;
}

int exec_join_key_append(OpState *s, int side, BExpr *const *keys, int nkeys, const Type *key_types, const Value *row,
                         Value *kv, StrBuf *out, EvalCtx *cx)
{
    for (int k = 0; k < nkeys; k++) {
        const BExpr *e = keys[k];
        if (e->kind == BX_COL) kv[k] = row[e->col];
        else if (eval_expr(e, row, &kv[k], cx)) return exec_eval_fail(s, cx->errpos, cx->err);
        if (kv[k].null) return 1;
    }
    /* the key encoded in place after a one-byte length, moved on in the
     * rare case its length needs a longer varint */
    size_t at = out->len;
    sb_putn(out, "\0\0", 2);
    out->s[at] = (char)side;
    rowkey_encode(out, key_types, kv, NULL, nkeys);
    size_t klen = out->len - at - 2;
    unsigned char v[ROWKEY_VARINT_MAX];
    size_t vn = rowkey_put_varint(v, klen);
    if (vn > 1) {
        sb_room(out, vn - 1);
        memmove(out->s + at + 1 + vn, out->s + at + 2, klen);
        out->len += vn - 1;
        out->s[out->len] = 0;
    }
    memcpy(out->s + at + 1, v, vn);
    return 0;
}

int exec_join_key(OpState *s, int side, BExpr *const *keys, int nkeys, const Type *key_types, const Value *row, Value *kv,
                  StrBuf *out, EvalCtx *cx)
{
    out->len = 0;
    return exec_join_key_append(s, side, keys, nkeys, key_types, row, kv, out, cx);
}

Type *exec_join_key_types(const BExpr *const *lkeys, int nkeys)
{
    Type *t = xcalloc((size_t)(nkeys ? nkeys : 1), sizeof *t);
    for (int k = 0; k < nkeys; k++) {
        t[k] = lkeys[k]->type;
        t[k].nullable = 1;
    }
    return t;
}
