/*
 * monitor.c — the HTTP endpoint that shows running jobs (eddy_monitor_* in
 * include/eddy.h), on libmicrohttpd as the development Schema Registry is:
 *
 *   GET /metrics   Prometheus text format (metrics.c renders it)
 *   GET /healthz   200 {"status":"ok"} or 503 with the reasons as JSON
 *   GET /jobs      {"jobs":[…]}: state, counters, partitions, operators
 *   GET /          the dashboard page (src/connect/dashboard.html, embedded at build time)
 *   GET /events    server-sent events for the dashboard: /jobs plus each
 *                  job's sink table, once a second
 *   GET /first.js  the same as one event, as a script the page loads first
 *                  (window.eddyFirst): it shows the jobs before the stream
 *                  sends anything
 *
 * Only GET and HEAD; any other method is 405, any other path 404;
 * libmicrohttpd answers malformed requests and oversized headers itself
 * (400, 431).  Each connection has a thread (an event stream sleeps
 * between events), at most MAX_CONNS of them.  Jobs are read only through
 * their snapshots (job_snap_copy), never their live counters.
 *
 * SinkView — a job's sink table as the dashboard shows it: the job's
 * thread applies every change (upsert by the result's key; an append-only
 * result keeps its last rows), the HTTP threads read it under its mutex.
 */
#include "monitor.h"
#include "clock.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dashboard_html.h"
#include "htab.h"
#include "strbuf.h"

#define MAX_CONNS 64        /* connections served at once */
#define VIEW_MAX_ROWS 1000  /* keys of a sink table the dashboard keeps */
#define VIEW_APPEND_ROWS 50 /* rows of an append-only result it keeps */
#define EVENT_EVERY_MS 1000 /* between two server-sent events */

/* ---- the sink table view ---- */

typedef struct VRow {
    char    *key;         /* the key columns' values, joined (upsert), or NULL */
    size_t   klen;        /* its length */
    char   **vals;        /* ncols values, NULL = SQL NULL */
    int64_t  changed_ms;  /* wall clock of its last change */
    bool     deleted;     /* a -D removed it (kept a moment, so the page can show it go) */
} VRow;

struct SinkView {
    pthread_mutex_t mu;   /* guards everything below */
    int      ncols;       /* result columns */
    char   **names;       /* their names */
    bool    *iskey;       /* per column: part of the result's key */
    int      nkey;        /* key columns (0 = append-only: the last rows are kept) */
    VRow   **rows;        /* rows, in order of first arrival */
    int      nrows;       /* count */
    int      cap;         /* capacity */
    Htab     index;       /* key → row */
    int64_t  hidden;      /* changes to keys beyond VIEW_MAX_ROWS, not shown */
    int64_t  changes;     /* changes applied */
};

static const void *vrow_key(const void *e, size_t *len)
{
    const VRow *r = e;
    *len = r->klen;
    return r->key;
}

static SinkView *sink_view_new(const eddy_plan *p)
{
    SinkView *v = calloc(1, sizeof *v);
    if (!v) abort();
    pthread_mutex_init(&v->mu, NULL);
    v->ncols = eddy_plan_column_count(p);
    v->names = calloc((size_t)v->ncols + 1, sizeof *v->names);
    v->iskey = calloc((size_t)v->ncols + 1, sizeof *v->iskey);
    if (!v->names || !v->iskey) abort();
    for (int i = 0; i < v->ncols; i++) {
        eddy_column c;
        eddy_plan_column(p, i, &c);
        v->names[i] = str_dup(c.name);
        v->iskey[i] = c.key && eddy_plan_key(p) > 0;
        v->nkey += v->iskey[i];
    }
    /* a result of at most one row (a global aggregate) is a table of one key */
    if (eddy_plan_key(p) == 0) v->nkey = -1;
    htab_init(&v->index, vrow_key);
    return v;
}

static void vrow_free(VRow *r, int ncols)
{
    if (!r) return;
    for (int i = 0; i < ncols; i++) free(r->vals[i]);
    free(r->vals);
    free(r->key);
    free(r);
}

static void sink_view_free(SinkView *v)
{
    if (!v) return;
    for (int i = 0; i < v->nrows; i++) vrow_free(v->rows[i], v->ncols);
    for (int i = 0; i < v->ncols; i++) free(v->names[i]);
    free(v->names);
    free(v->iskey);
    free(v->rows);
    htab_free(&v->index);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

static void set_vals(VRow *r, const eddy_change *c, int ncols)
{
    for (int i = 0; i < ncols; i++) {
        free(r->vals[i]);
        r->vals[i] = i < c->ncols && c->values[i] ? str_dup(c->values[i]) : NULL;
    }
}

static VRow *vrow_new(int ncols)
{
    VRow *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->vals = calloc((size_t)ncols + 1, sizeof *r->vals);
    if (!r->vals) abort();
    return r;
}

void sink_view_apply(SinkView *v, const eddy_change *c)
{
    bool del = strcmp(c->kind, "-D") == 0, before = strcmp(c->kind, "-U") == 0;
    int64_t now = wall_ms();
    pthread_mutex_lock(&v->mu);
    v->changes++;
    if (v->nkey == 0) {   /* append-only: the last rows */
        if (!del && !before) {
            VRow *r;
            if (v->nrows == VIEW_APPEND_ROWS) {
                r = v->rows[0];
                memmove(v->rows, v->rows + 1, sizeof *v->rows * (size_t)(v->nrows - 1));
                v->nrows--;
            } else {
                r = vrow_new(v->ncols);
            }
            set_vals(r, c, v->ncols);
            r->changed_ms = now;
            if (v->nrows == v->cap) {
                v->cap = v->cap ? v->cap * 2 : 16;
                v->rows = realloc(v->rows, sizeof *v->rows * (size_t)v->cap);
                if (!v->rows) abort();
            }
            v->rows[v->nrows++] = r;
        }
        pthread_mutex_unlock(&v->mu);
        return;
    }
    StrBuf key = {0};
    for (int i = 0; i < v->ncols && i < c->ncols; i++)
        if (v->iskey[i]) {
            sb_puts(&key, c->values[i] ? c->values[i] : "\x01");
            sb_putc(&key, '\x1f');
        }
    if (!key.s) sb_puts(&key, "");
    uint64_t h = htab_hash(key.s, key.len);
    VRow *r = htab_find(&v->index, key.s, key.len, h);
    if (!r && !del && !before) {
        if (v->nrows >= VIEW_MAX_ROWS) {
            v->hidden++;
        } else {
            r = vrow_new(v->ncols);
            r->key = sb_take(&key);
            r->klen = strlen(r->key);
            if (v->nrows == v->cap) {
                v->cap = v->cap ? v->cap * 2 : 16;
                v->rows = realloc(v->rows, sizeof *v->rows * (size_t)v->cap);
                if (!v->rows) abort();
            }
            v->rows[v->nrows++] = r;
            htab_insert(&v->index, r, h);
        }
    }
    if (r && !before) {
        r->deleted = del;
        if (!del) set_vals(r, c, v->ncols);
        r->changed_ms = now;
    }
    sb_free(&key);
    pthread_mutex_unlock(&v->mu);
}

/* The view as JSON: {"columns":[…],"key":[…],"rows":[{"values":[…],"changed":ms,"deleted":b}],"hidden":n} */
static void sink_view_json(SinkView *v, StrBuf *o)
{
    pthread_mutex_lock(&v->mu);
    sb_puts(o, "{\"columns\":[");
    for (int i = 0; i < v->ncols; i++) {
        sb_puts(o, i ? ",\"" : "\"");
        for (const char *p = v->names[i]; *p; p++) {
            if (*p == '"' || *p == '\\') sb_putc(o, '\\');
            if ((unsigned char)*p >= 0x20) sb_putc(o, *p);
        }
        sb_putc(o, '"');
    }
    sb_puts(o, "],\"key\":[");
    for (int i = 0; i < v->ncols; i++) sb_printf(o, "%s%s", i ? "," : "", v->iskey[i] ? "true" : "false");
    sb_printf(o, "],\"changes\":%lld,\"hidden\":%lld,\"rows\":[", (long long)v->changes, (long long)v->hidden);
    for (int r = 0; r < v->nrows; r++) {
        const VRow *row = v->rows[r];
        sb_puts(o, r ? ",{\"values\":[" : "{\"values\":[");
        for (int i = 0; i < v->ncols; i++) {
            if (i) sb_putc(o, ',');
            if (!row->vals[i]) {
                sb_puts(o, "null");
                continue;
            }
            sb_putc(o, '"');
            for (const unsigned char *p = (const unsigned char *)row->vals[i]; *p; p++) {
                if (*p == '"' || *p == '\\') sb_printf(o, "\\%c", *p);
                else if (*p < 0x20) sb_printf(o, "\\u%04x", *p);
                else sb_putc(o, (char)*p);
            }
            sb_putc(o, '"');
        }
        sb_printf(o, "],\"changed\":%lld,\"deleted\":%s}", (long long)row->changed_ms, row->deleted ? "true" : "false");
    }
    sb_puts(o, "]}");
    pthread_mutex_unlock(&v->mu);
}

/* ---- the monitor ---- */

typedef struct MonJob {
    eddy_job  *job;       /* the job, or NULL once it was freed */
    char      *name;      /* its name */
    int        id;        /* the caller's number */
    const Plan *plan;     /* its plan, while the job lives */
    SinkView  *view;      /* its sink table */
    MetricsJob last;      /* once the job is gone: its last snapshot, without operators (their plan is gone too) */
    bool       has_last;  /* last is filled */
} MonJob;

struct eddy_monitor {
    struct MHD_Daemon *d; /* the HTTP server */
    pthread_mutex_t mu;   /* guards jobs and each MonJob */
    MonJob  **jobs;       /* shown jobs, in the order they were added */
    int       njobs;      /* count */
    int       stopping;   /* set (atomically) when the monitor stops: event streams end */
    char      url[128];   /* http://HOST:PORT/ */
};

/* Copies of every job's snapshot (under m->mu), for one response. */
static MetricsJob *collect(eddy_monitor *m, int *n)
{
    MetricsJob *out = calloc((size_t)m->njobs + 1, sizeof *out);
    if (!out) abort();
    int k = 0;
    for (int i = 0; i < m->njobs; i++) {
        MonJob *mj = m->jobs[i];
        if (mj->job) {
            job_api_metrics_job(mj->job, &out[k]);
        } else {
            if (!mj->has_last) continue;
            out[k] = mj->last;
            out[k].snap.ops = calloc((size_t)mj->last.snap.nops + 1, sizeof *out[k].snap.ops);
            out[k].snap.parts = calloc((size_t)mj->last.snap.nparts + 1, sizeof *out[k].snap.parts);
            if (!out[k].snap.ops || !out[k].snap.parts) abort();
            if (mj->last.snap.nops) memcpy(out[k].snap.ops, mj->last.snap.ops, sizeof *out[k].snap.ops * (size_t)mj->last.snap.nops);
            if (mj->last.snap.nparts)
                memcpy(out[k].snap.parts, mj->last.snap.parts, sizeof *out[k].snap.parts * (size_t)mj->last.snap.nparts);
        }
        out[k].name = mj->name;
        out[k].id = mj->id;
        k++;
    }
    *n = k;
    return out;
}

static void collect_free(MetricsJob *v, int n)
{
    for (int i = 0; i < n; i++) job_snap_free(&v[i].snap);
    free(v);
}

/* {"time":ms,"jobs":[…]} — with each job's sink table when `tables`. */
static void jobs_json(eddy_monitor *m, bool tables, StrBuf *o)
{
    pthread_mutex_lock(&m->mu);
    int n;
    MetricsJob *v = collect(m, &n);
    sb_printf(o, "{\"time\":%lld,\"jobs\":[", (long long)wall_ms());
    int k = 0;
    for (int i = 0; i < m->njobs && k < n; i++) {
        MonJob *mj = m->jobs[i];
        if (!mj->job && !mj->has_last) continue;
        if (k) sb_putc(o, ',');
        metrics_json_job(&v[k], o);
        if (tables && mj->view) {
            o->len--;   /* the object's closing brace */
            sb_puts(o, ",\"table\":");
            sink_view_json(mj->view, o);
            sb_putc(o, '}');
        }
        k++;
    }
    sb_puts(o, "]}\n");
    collect_free(v, n);
    pthread_mutex_unlock(&m->mu);
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 405) MHD_add_response_header(r, "Allow", "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return reply(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* An event stream: one event now, then one every EVENT_EVERY_MS until the
 * client goes or the monitor stops. */
typedef struct Stream {
    eddy_monitor *m;      /* the monitor */
    StrBuf        buf;    /* the event being sent */
    size_t        sent;   /* bytes of it sent */
    int64_t       next_ms;/* when the next event is due (monotonic) */
} Stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    Stream *s = cls;
    while (s->sent == s->buf.len) {
        if (__atomic_load_n(&s->m->stopping, __ATOMIC_ACQUIRE)) return MHD_CONTENT_READER_END_OF_STREAM;
        int64_t wait = s->next_ms - mono_ms();
        if (wait > 0) {
            struct timespec ts = {0, (wait > 100 ? 100 : wait) * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        s->buf.len = 0;
        s->sent = 0;
        sb_puts(&s->buf, "data: ");
        jobs_json(s->m, true, &s->buf);
        s->buf.len--;   /* jobs_json's newline: an event is one line */
        sb_puts(&s->buf, "\n\n");
        s->next_ms = mono_ms() + EVENT_EVERY_MS;
    }
    size_t n = s->buf.len - s->sent;
    if (n > max) n = max;
    memcpy(out, s->buf.s + s->sent, n);
    s->sent += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    Stream *s = cls;
    sb_free(&s->buf);
    free(s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    eddy_monitor *m = cls;
    if (!*con_cls) {   /* first call: headers only */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {   /* a body nobody asked for: read and drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool known = strcmp(url, "/") == 0 || strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0 || strcmp(url, "/jobs") == 0 ||
                 strcmp(url, "/events") == 0 || strcmp(url, "/index.html") == 0 || strcmp(url, "/first.js") == 0;
    if (!known) return reply_text(c, 404, "not found: try /, /metrics, /healthz or /jobs\n");
    if (!get) return reply_text(c, 405, "method not allowed: GET or HEAD\n");
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
        return reply(c, 200, "text/html; charset=utf-8", eddy_dashboard_html, sizeof eddy_dashboard_html - 1);
    StrBuf body = {0};
    unsigned status = 200;
    const char *type = "application/json";
    if (strcmp(url, "/metrics") == 0) {
        pthread_mutex_lock(&m->mu);
        int n;
        MetricsJob *v = collect(m, &n);
        metrics_prometheus(v, n, &body);
        collect_free(v, n);
        pthread_mutex_unlock(&m->mu);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (strcmp(url, "/healthz") == 0) {
        pthread_mutex_lock(&m->mu);
        int n;
        MetricsJob *v = collect(m, &n);
        status = (unsigned)metrics_health(v, n, &body);
        collect_free(v, n);
        pthread_mutex_unlock(&m->mu);
    } else if (strcmp(url, "/jobs") == 0) {
        jobs_json(m, false, &body);
    } else if (strcmp(url, "/first.js") == 0) {
        sb_puts(&body, "window.eddyFirst = ");
        jobs_json(m, true, &body);
        body.len--;   /* jobs_json's newline */
        sb_puts(&body, ";\n");
        type = "text/javascript; charset=utf-8";
    } else {   /* /events */
        Stream *s = calloc(1, sizeof *s);
        if (!s) return MHD_NO;
        s->m = m;
        s->next_ms = 0;
        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s, stream_free);
        if (!r) {
            stream_free(s);
            return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "text/event-stream");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!body.s) sb_puts(&body, "");
    enum MHD_Result ret = reply(c, status, type, body.s, body.len);
    sb_free(&body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    *con_cls = NULL;
}

/* "HOST:PORT" (or "[v6]:PORT", or ":PORT" = loopback) into an address. */
static int parse_addr(const char *addr, struct sockaddr_storage *out, socklen_t *outlen, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1]) {
        snprintf(err, errlen, "'%s' is not HOST:PORT", addr);
        return -1;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        snprintf(err, errlen, "'%s': port must be 0..65535", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        addr++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        snprintf(err, errlen, "'%s': host name too long", addr);
        return -1;
    }
    memcpy(host, addr, hl);
    host[hl] = 0;
    if (!host[0]) snprintf(host, sizeof host, "127.0.0.1");
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc || !res) {
        snprintf(err, errlen, "'%s': %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *outlen = res->ai_addrlen;
    if (out->ss_family == AF_INET) ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    else ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return 0;
}

int eddy_monitor_start(const char *addr, eddy_monitor **out, char *err, size_t errlen)
{
    char why[300];
    if (!out) return EDDY_EMISUSE;
    *out = NULL;
    if (!addr) addr = "127.0.0.1:0";
    struct sockaddr_storage sa;
    socklen_t salen;
    if (parse_addr(addr, &sa, &salen, why, sizeof why)) {
        if (err) snprintf(err, errlen, "HTTP address %s", why);
        return EDDY_ERUNTIME;
    }
    eddy_monitor *m = calloc(1, sizeof *m);
    if (!m) abort();
    pthread_mutex_init(&m->mu, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (sa.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    m->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, m, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNS,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
    if (!m->d) {
        if (err) snprintf(err, errlen, "cannot listen on %s for HTTP (address in use, or not of this host?)", addr);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return EDDY_ERUNTIME;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (info && getsockname(info->listen_fd, (struct sockaddr *)&bound, &blen) == 0) {
        if (bound.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&bound)->sin_addr, host, sizeof host);
            port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        } else {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&bound)->sin6_addr, host, sizeof host);
            port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        }
    }
    snprintf(m->url, sizeof m->url, bound.ss_family == AF_INET6 ? "http://[%s]:%d/" : "http://%s:%d/", host, port);
    *out = m;
    return EDDY_OK;
}

const char *eddy_monitor_url(const eddy_monitor *m) { return m ? m->url : NULL; }

int eddy_monitor_add_job(eddy_monitor *m, eddy_job *j, const char *name, int id)
{
    if (!m || !j) return EDDY_EMISUSE;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->njobs; i++)
        if (m->jobs[i]->job == j) {
            pthread_mutex_unlock(&m->mu);
            return EDDY_EMISUSE;
        }
    MonJob *mj = calloc(1, sizeof *mj);
    if (!mj) abort();
    MetricsJob probe = {0};
    job_api_metrics_job(j, &probe);
    mj->plan = probe.plan;
    job_snap_free(&probe.snap);
    mj->job = j;
    mj->id = id;
    mj->name = str_dup(name ? name : eddy_plan_name((const eddy_plan *)mj->plan));
    mj->view = sink_view_new((const eddy_plan *)mj->plan);
    MonJob **nj = realloc(m->jobs, sizeof *m->jobs * (size_t)(m->njobs + 1));
    if (!nj) abort();
    m->jobs = nj;
    m->jobs[m->njobs++] = mj;
    job_api_set_monitor(j, m, mj->view);
    pthread_mutex_unlock(&m->mu);
    return EDDY_OK;
}

void monitor_job_gone(eddy_monitor *m, eddy_job *ej)
{
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->njobs; i++) {
        MonJob *mj = m->jobs[i];
        if (mj->job != ej) continue;
        job_api_metrics_job(ej, &mj->last);
        /* the plan dies with the job's script: renderings read it only for operators */
        mj->last.plan = NULL;
        mj->last.opdesc = NULL;
        mj->last.snap.nops = 0;
        mj->has_last = true;
        mj->job = NULL;
        job_api_set_monitor(ej, NULL, NULL);
    }
    pthread_mutex_unlock(&m->mu);
}

void eddy_monitor_free(eddy_monitor *m)
{
    if (!m) return;
    __atomic_store_n(&m->stopping, 1, __ATOMIC_RELEASE);
    MHD_stop_daemon(m->d);
    for (int i = 0; i < m->njobs; i++) {
        MonJob *mj = m->jobs[i];
        if (mj->job) job_api_set_monitor(mj->job, NULL, NULL);
        job_snap_free(&mj->last.snap);
        sink_view_free(mj->view);
        free(mj->name);
        free(mj);
    }
    free(m->jobs);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
