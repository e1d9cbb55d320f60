/*
 * job_api.c — the public job API (eddy_job_* in include/eddy.h) over the
 * executor (exec.h): in-memory push/flush and the Kafka run loop, with
 * changes turned into printed values for callers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "exec.h"
#include "kafka_driver.h"

struct eddy_job {
    Job             *job;     /* the executor's job */
    eddy_job_options opts;    /* caller's options */
    char             err[1024]; /* failure message for eddy_job_new, or the last misuse */
};

static void change_cb(void *ctx, RowKind k, const Value *row, const PlanCol *cols, int ncols)
{
    eddy_job *ej = ctx;
    if (!ej->opts.on_change) return;
    StrBuf text = {0}, vals = {0};
    size_t *offs = calloc((size_t)ncols + 1, sizeof *offs);
    const char **names = calloc((size_t)ncols + 1, sizeof *names);
    const char **values = calloc((size_t)ncols + 1, sizeof *values);
    if (!offs || !names || !values) abort();
    sb_printf(&text, "%s[", rowkind_str(k));
    for (int i = 0; i < ncols; i++) {
        names[i] = cols[i].name;
        size_t before = vals.len;
        value_print(&vals, cols[i].type, &row[i]);
        sb_putc(&vals, 0);
        offs[i] = before;
        if (i) sb_puts(&text, ", ");
        value_print(&text, cols[i].type, &row[i]);
    }
    sb_putc(&text, ']');
    for (int i = 0; i < ncols; i++) values[i] = row[i].null ? NULL : vals.s + offs[i];
    eddy_change c = {rowkind_str(k), ncols, names, values, text.s};
    ej->opts.on_change(ej->opts.ctx, &c);
    sb_free(&text);
    sb_free(&vals);
    free(offs);
    free(names);
    free(values);
}

eddy_job *eddy_job_new(const eddy_plan *p, const eddy_job_options *o, char *err, size_t errlen)
{
    if (!p) {
        if (err) snprintf(err, errlen, "no plan");
        return NULL;
    }
    eddy_job *ej = calloc(1, sizeof *ej);
    if (!ej) return NULL;
    if (o) ej->opts = *o;
    ej->job = job_new((const Plan *)p, ej->err, sizeof ej->err);
    if (!ej->job) {
        if (err) snprintf(err, errlen, "%s", ej->err);
        free(ej);
        return NULL;
    }
    ej->job->on_row = change_cb;
    ej->job->row_ctx = ej;
    ej->job->per_record = ej->opts.per_record != 0;
    return ej;
}

/* The Plan.sources index of the table a pushed record names; -1 if none. */
static int source_of(eddy_job *ej, const char *table)
{
    const Plan *p = ej->job->plan;
    if (!table && p->nsources == 1) return 0;
    for (int i = 0; table && i < p->nsources; i++)
        if (strcmp(p->sources[i]->table->name, table) == 0) return i;
    if (table) snprintf(ej->err, sizeof ej->err, "the job reads no table '%s'", table);
    else snprintf(ej->err, sizeof ej->err, "the job reads %d tables: say which one the record belongs to (eddy_record.table)", p->nsources);
    return -1;
}

int eddy_job_push(eddy_job *ej, const eddy_record *r)
{
    ej->err[0] = 0;
    int src = source_of(ej, r->table);
    if (src < 0) return EDDY_EMISUSE;
    RawRecord rec = {
        .topic = ej->job->plan->sources[src]->table->conn.topic,
        .partition = r->partition,
        .offset = r->offset,
        .ts = r->timestamp,
        .key = r->key,
        .klen = r->key_len,
        .val = r->value,
        .vlen = r->value_len,
        .op = r->op,
        .oplen = r->op ? strlen(r->op) : 0,
    };
    return job_push(ej->job, src, &rec, 1) ? EDDY_ERUNTIME : EDDY_OK;
}

int eddy_job_flush(eddy_job *ej) { return job_flush(ej->job) ? EDDY_ERUNTIME : EDDY_OK; }

int eddy_job_run(eddy_job *ej, const char *bootstrap, volatile int *stop)
{
    /* sig_atomic_t is int on every platform eddy builds on. */
    _Static_assert(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t is int");
    return job_run_kafka(ej->job, bootstrap, (volatile sig_atomic_t *)stop) ? EDDY_ERUNTIME : EDDY_OK;
}

const char *eddy_job_errmsg(const eddy_job *ej) { return ej->job->err[0] ? ej->job->err : ej->err; }

void eddy_job_counts(const eddy_job *ej, long long *in, long long *out, long long *skipped)
{
    if (in) *in = ej->job->stats.records_in;
    if (out) *out = ej->job->stats.rows_out;
    if (skipped) *skipped = ej->job->stats.skipped;
}

void eddy_job_free(eddy_job *ej)
{
    if (!ej) return;
    job_free(ej->job);
    free(ej);
}
