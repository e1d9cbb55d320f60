/*
 * repl_jobs.c — the shell's background jobs: an INSERT INTO runs on a
 * thread of its own and the prompt comes back at once; SHOW JOBS lists the
 * jobs with their state, records in and out and lag; STOP JOB stops one
 * cleanly (it flushes and takes a last checkpoint); a job that ends by
 * itself, or fails, is reported at the next prompt; SHOW JOB 'id' shows
 * one job's counters and per-operator statistics, and with --http every
 * job is shown by the shell's monitor (eddy_monitor).  Jobs keep no state
 * unless SET 'state.path' names a file.  Their notices go through
 * live_notice (repl_live.c).
 */
#include "repl_shared.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum JobState { JS_RUNNING, JS_STOPPING, JS_FINISHED, JS_FAILED, JS_STOPPED } JobState;

static const char *const job_state_names[] = {"RUNNING", "STOPPING", "FINISHED", "FAILED", "STOPPED"};

struct ReplJob {
    int            id;          /* what SHOW JOBS shows and STOP JOB takes */
    char          *name;        /* the plan's job name (pipeline.name or the sink table) */
    eddy_script   *script;      /* owns the plan the job runs */
    eddy_job      *job;         /* the job, until it is joined */
    char          *bootstrap;   /* for eddy_job_run; NULL = the plan's own setting */
    char          *state_path;  /* its state file, or NULL (no state kept) */
    pthread_t      tid;         /* its thread */
    bool           stop_asked;  /* STOP JOB or leaving the shell asked it to stop */
    int            done;        /* set (atomically) by the thread once eddy_job_run returned */
    int            rc;          /* eddy_job_run's result (valid once done) */
    JobState       state;       /* as SHOW JOBS shows it */
    bool           joined;      /* the thread was joined */
    bool           reported;    /* the user was told how it ended */
    time_t         started;     /* wall-clock start */
    int64_t        final_in;    /* once joined: records read (the job itself is freed then) */
    int64_t        final_out;   /* once joined: records written */
    char          *error;       /* once joined: why it failed, or NULL */
};

static void *job_thread(void *arg)
{
    ReplJob *rj = arg;
    rj->rc = eddy_job_run(rj->job, rj->bootstrap, NULL);
    __atomic_store_n(&rj->done, 1, __ATOMIC_RELEASE);
    wake();
    return NULL;
}

static void job_free_all(ReplJob *rj)
{
    eddy_job_free(rj->job);
    eddy_script_free(rj->script);
    free(rj->error);
    free(rj->name);
    free(rj->bootstrap);
    free(rj->state_path);
    free(rj);
}

static void job_counts(const ReplJob *rj, int64_t *in, int64_t *out)
{
    if (!rj->job) {
        *in = rj->final_in;
        *out = rj->final_out;
        return;
    }
    eddy_job_stats st;
    eddy_job_get_stats(rj->job, &st);   /* while the job's thread counts on */
    *in = st.records_in;
    *out = st.records_out;
}

/* Joins a job whose thread ended and says how it ended (once). */
static void job_finish(Repl *r, ReplJob *rj)
{
    if (!rj->joined) {
        pthread_join(rj->tid, NULL);
        rj->joined = true;
        rj->state = rj->rc ? JS_FAILED : rj->stop_asked ? JS_STOPPED : JS_FINISHED;
        /* Keep what SHOW JOBS needs; free the rest now (the state file is
         * closed, so a new job may use it). */
        job_counts(rj, &rj->final_in, &rj->final_out);
        const char *why = eddy_job_errmsg(rj->job);
        if (rj->rc) rj->error = str_dup(why[0] ? why : "unknown reason");
        eddy_job_free(rj->job);
        rj->job = NULL;
        eddy_script_free(rj->script);
        rj->script = NULL;
    }
    if (rj->reported) return;
    rj->reported = true;
    int64_t in, out;
    job_counts(rj, &in, &out);
    char a[32], b[32];
    if (rj->state == JS_FAILED) {
        r->had_error = true;
        print_error(r, "job %d '%s' failed: %s", rj->id, rj->name, rj->error);
        return;
    }
    fprintf(info_out(r), "%sJob %d '%s' %s: %s records in, %s records out%s%s.\n", r->interactive ? "" : "eddy: ", rj->id,
            rj->name, rj->state == JS_STOPPED ? "stopped" : "finished", group_digits(a, sizeof a, in),
            group_digits(b, sizeof b, out), rj->state_path ? "; final checkpoint in " : "", rj->state_path ? rj->state_path : "");
    fflush(info_out(r));
}

void jobs_poll(Repl *r)
{
    for (int i = 0; i < r->njobs; i++) {
        ReplJob *rj = r->jobs[i];
        if (!rj->joined && __atomic_load_n(&rj->done, __ATOMIC_ACQUIRE)) job_finish(r, rj);
    }
}

bool jobs_ended(const Repl *r)
{
    for (int i = 0; i < r->njobs; i++)
        if (!r->jobs[i]->joined && __atomic_load_n(&r->jobs[i]->done, __ATOMIC_ACQUIRE)) return true;
    return false;
}

int jobs_running(const Repl *r)
{
    int n = 0;
    for (int i = 0; i < r->njobs; i++) n += !r->jobs[i]->joined;
    return n;
}

/* Asks a running job to stop; it flushes and checkpoints on its thread. */
static void job_ask_stop(ReplJob *rj)
{
    rj->stop_asked = true;
    eddy_job_stop(rj->job);
}

void jobs_stop_all(Repl *r)
{
    int n = 0;
    for (int i = 0; i < r->njobs; i++)
        if (!r->jobs[i]->joined) {
            job_ask_stop(r->jobs[i]);
            if (r->jobs[i]->state == JS_RUNNING) r->jobs[i]->state = JS_STOPPING;
            n++;
        }
    if (n && r->interactive) {
        printf("Stopping %d running job%s (flush and final checkpoint)...\n", n, n == 1 ? "" : "s");
        fflush(stdout);
    }
    for (int i = 0; i < r->njobs; i++)
        if (!r->jobs[i]->joined) job_finish(r, r->jobs[i]);
}

void jobs_free(Repl *r)
{
    for (int i = 0; i < r->njobs; i++) job_free_all(r->jobs[i]);
    free(r->jobs);
    r->jobs = NULL;
    r->njobs = 0;
}

int jobs_start(Repl *r, eddy_script *s, int i, bool *kept)
{
    const eddy_plan *p = eddy_script_plan(s, i);
    char err[1024];
    /* Notices go to the live table's status line while one is shown. */
    /* SET 'parallelism.default' above 1 (the planner cut the plan into
     * stages for it): the job runs as tasks on that many threads. */
    const char *par = eddy_plan_setting(p, "parallelism.default");
    eddy_job_options o = {.on_notice = live_notice, .ctx = r, .lag = 1, .on_print = live_print, .parallelism = par ? atoi(par) : 0};
    eddy_job *j = eddy_job_new(p, &o, err, sizeof err);
    if (!j) {
        print_error(r, "%s", err);
        return ST_ERR;
    }
    ReplJob *rj = xcalloc(1, sizeof *rj);
    rj->job = j;
    /* Jobs of the shell keep no state unless SET 'state.path' names a file. */
    const char *path = eddy_plan_setting(p, "state.path");
    if (path && strcmp(path, "none") != 0) {
        if (eddy_job_open_state(j, path, 0, err, sizeof err)) {
            print_error(r, "%s", err);
            job_free_all(rj);
            return ST_ERR;
        }
        rj->state_path = str_dup(path);
        if (eddy_job_resumed(j)) {
            eddy_job_stats st;
            eddy_job_get_stats(j, &st);
            fprintf(info_out(r), "%sJob '%s' resumes from %s (%lld state rows loaded).\n", r->interactive ? "" : "eddy: ",
                    eddy_plan_name(p), path, st.restored_rows);
        }
    }
    rj->id = ++r->next_id;
    rj->name = str_dup(eddy_plan_name(p));
    rj->script = s;
    /* The session's SET 'properties.bootstrap.servers' (or the source
     * table's) wins, as the most recent word; else the shell's. */
    const char *bs = eddy_plan_bootstrap(p) ? NULL : r->bootstrap;
    rj->bootstrap = bs ? str_dup(bs) : NULL;
    rj->started = time(NULL);
    if (r->monitor) eddy_monitor_add_job(r->monitor, j, rj->name, rj->id);
    if (spawn(&rj->tid, job_thread, rj)) {
        print_error(r, "cannot start a thread for the job");
        rj->script = NULL;
        job_free_all(rj);
        return ST_ERR;
    }
    *kept = true;
    r->jobs = xrealloc(r->jobs, sizeof *r->jobs * (size_t)(r->njobs + 1));
    r->jobs[r->njobs++] = rj;
    if (r->interactive)
        printf("Started job %d '%s'. SHOW JOBS lists it; STOP JOB '%d' stops it.\n", rj->id, rj->name, rj->id);
    else
        fprintf(stderr, "eddy: started job %d '%s'\n", rj->id, rj->name);
    return ST_OK;
}

void jobs_show(Repl *r)
{
    jobs_poll(r);
    if (!r->njobs && r->interactive) {
        puts("No jobs. INSERT INTO ... SELECT ... starts one.");
        return;
    }
    int wname = 4;
    for (int i = 0; i < r->njobs; i++) {
        int w = text_cols(r->jobs[i]->name, strlen(r->jobs[i]->name));
        if (w > wname) wname = w;
    }
    printf("%-4s %-*s %-9s %12s %12s %10s  %-8s  %s\n", "id", wname, "name", "state", "records_in", "records_out", "lag", "started", "error");
    for (int i = 0; i < r->njobs; i++) {
        ReplJob *rj = r->jobs[i];
        int64_t in, out;
        job_counts(rj, &in, &out);
        char lag[32] = "-";
        if (rj->state == JS_RUNNING) {
            long long l;
            sigset_t old;
            block_async_signals(&old);   /* librdkafka's threads leave signals to this one */
            int rc = eddy_job_lag(rj->job, &l);
            restore_signals(&old);
            job_counts(rj, &in, &out);
            if (rc == EDDY_OK) snprintf(lag, sizeof lag, "%lld", l);
        }
        char when[16];
        struct tm tm;
        localtime_r(&rj->started, &tm);
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        /* why it failed; for a running job, a cluster that does not answer */
        char why[400] = "";
        if (rj->state == JS_FAILED && rj->error) snprintf(why, sizeof why, "%s", rj->error);
        eddy_job_metrics m;
        if (rj->state == JS_RUNNING && eddy_job_get_metrics(rj->job, &m) == EDDY_OK && !m.broker_up)
            snprintf(why, sizeof why, "Kafka cluster not answering: %s", m.broker_error);
        printf("%-4d %-*s %-9s %12lld %12lld %10s  %-8s  %s\n", rj->id, wname, rj->name, job_state_names[rj->state], (long long)in,
               (long long)out, lag, when, why);
        if (eddy_job_get_metrics(rj->job, &m) == EDDY_OK && m.tasks)   /* run as tasks: DESCRIBE JOB lists each */
            printf("%-4s %*s   %d task%s on %d worker thread%s (DESCRIBE JOB '%d' shows each)\n", "", wname, "", m.tasks, m.tasks == 1 ? "" : "s",
                   m.workers, m.workers == 1 ? "" : "s", rj->id);
    }
}

int jobs_stop(Repl *r, const char *which)
{
    jobs_poll(r);
    /* By id, or by name: the running job of that name (else the last one). */
    ReplJob *running = NULL, *last = NULL;
    int nrunning = 0;
    char *end;
    long id = strtol(which, &end, 10);
    for (int i = 0; i < r->njobs; i++) {
        ReplJob *rj = r->jobs[i];
        if (!((*which && !*end && rj->id == id) || strcmp(rj->name, which) == 0)) continue;
        last = rj;
        if (!rj->joined) {
            running = rj;
            nrunning++;
        }
    }
    if (nrunning > 1) {
        print_error(r, "%d running jobs are called '%s'; stop one by its id (SHOW JOBS lists them)", nrunning, which);
        return ST_ERR;
    }
    ReplJob *found = running ? running : last;
    if (!found) {
        print_error(r, "no job '%s' (SHOW JOBS lists the jobs)", which);
        return ST_ERR;
    }
    if (found->joined) {
        fprintf(info_out(r), "%sJob %d '%s' is already %s.\n", r->interactive ? "" : "eddy: ", found->id, found->name,
                job_state_names[found->state]);
        return ST_OK;
    }
    job_ask_stop(found);
    found->state = JS_STOPPING;
    if (r->interactive) {
        printf("Stopping job %d '%s' (flush and final checkpoint)...\n", found->id, found->name);
        fflush(stdout);
    }
    job_finish(r, found);
    return found->state == JS_FAILED ? ST_ERR : ST_OK;
}

int jobs_describe(Repl *r, const char *which)
{
    jobs_poll(r);
    /* By id, or by name: the last job of that name. */
    ReplJob *found = NULL;
    char *end;
    long id = strtol(which, &end, 10);
    for (int i = 0; i < r->njobs; i++)
        if ((*which && !*end && r->jobs[i]->id == id) || strcmp(r->jobs[i]->name, which) == 0) found = r->jobs[i];
    if (!found) {
        print_error(r, "no job '%s' (SHOW JOBS lists the jobs)", which);
        return ST_ERR;
    }
    if (found->job) {
        char *text = eddy_job_describe(found->job, found->name, EDDY_TEXT);
        fputs(text ? text : "\n", stdout);
        eddy_free(text);
    } else {
        char a[32], b[32];
        printf("Job %d '%s': %s%s%s\n  records in %s, records out %s\n", found->id, found->name, job_state_names[found->state],
               found->error ? ": " : "", found->error ? found->error : "", group_digits(a, sizeof a, found->final_in),
               group_digits(b, sizeof b, found->final_out));
    }
    fflush(stdout);
    return ST_OK;
}
