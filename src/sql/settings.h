/*
 * settings.h — the session settings (SET 'key' = 'value'): their option
 * table, and ExecConfig, the typed configuration a plan carries to whoever
 * runs it (executor, shell, `eddy run`).
 *
 * Values are checked when SET runs and parsed once, by the table, into an
 * ExecConfig; defaults come from the table.  What runs a plan reads typed
 * fields (plan->config), never the SET text.  The pass-through
 * 'properties.*' keys have no field: they stay in the plan's raw settings.
 */
#ifndef EDDY_SETTINGS_H
#define EDDY_SETTINGS_H

#include <stdint.h>

#include "catalog.h"
#include "options.h"
#include "tz.h"

/* sql-client.execution.result-mode: how the shell shows a continuous SELECT. */
typedef enum ClientResultMode {
    RESULT_MODE_TABLE,    /* a table refreshed in place (a changelog where that cannot be done) */
    RESULT_MODE_CHANGELOG,/* one line per change */
    RESULT_MODE_TABLEAU,  /* rows in a grid as they arrive */
} ClientResultMode;

typedef struct ExecConfig {
    const char      *registry_url;    /* avro-confluent.url: the session's Schema Registry, or NULL */
    int64_t          checkpoint_ms;   /* execution.checkpointing.interval (0 = only when the job stops) */
    const char      *state_path;      /* state.path: the next job's state file, or NULL (the job's name) */
    int64_t          minibatch_latency_ms; /* table.exec.mini-batch.allow-latency */
    bool             minibatch_enabled; /* table.exec.mini-batch.enabled: false = Flink's changelog exactly (Plan.flink_changelog) */
    int64_t          minibatch_size;  /* table.exec.mini-batch.size: most rows buffered before emitting */
    ClientResultMode result_mode;     /* sql-client.execution.result-mode */
    bool             display_pager;   /* sql-client.display.pager: the shell pages long results */
    const char      *pipeline_name;   /* pipeline.name: the next job's name, or NULL (the sink's name) */
    const TimeZone  *local_tz;        /* table.local-time-zone: how TIMESTAMP_LTZ prints and windows on it align (NULL = UTC) */
    int64_t          idle_timeout_ms; /* table.exec.source.idle-timeout: a source partition without records for this
                                         long (processing time) stops holding its source's watermark back; 0 = never */
    int64_t          state_ttl_ms;    /* table.exec.state.ttl: a regular join drops rows untouched this long (0 = never) */
    bool             reuse_sub_plan;  /* table.optimizer.reuse-sub-plan-enabled: identical sub-plans of a statement computed once (plan_reuse.c) */
    bool             reuse_source;    /* table.optimizer.reuse-source-enabled: a table read twice is read once */
    int64_t          parallelism;     /* parallelism.default: tasks per stage; above 1 the plan is cut into stages (plan_stages) */
    bool             one_phase_agg;   /* table.optimizer.agg-phase-strategy = ONE_PHASE: a group aggregate in a staged plan
                                         is never split into local and global phases (plan_stage.c) */
    bool             not_null_drop;   /* table.exec.sink.not-null-enforcer = DROP: a sink row with NULL in a NOT NULL
                                         column is dropped and counted (ERROR: the job fails naming the column) */
} ExecConfig;

/* The table of SET keys (ends with a NULL name). */
extern const OptionDef settings_options[];
/* Documentation shared by the table options of the same name, which the
 * session settings give defaults for. */
extern const char settings_doc_registry_url[];
extern const char settings_doc_properties[];

/* The row for a SET key; NULL if it is none. */
const OptionDef *settings_find(const char *key);
/* The configuration the SET values kv (already checked) give: defaults
 * from the table, then each value.  Strings point into kv; a time zone is
 * parsed into a (which must outlive c). */
void exec_config_build(ExecConfig *c, const KeyValue *kv, int n, Arena *a);

#endif
