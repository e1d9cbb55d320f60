/*
 * kafka_tasks.h — a job run as tasks on worker threads (kafka_tasks.c,
 * docs/scaling.md): every stage of the plan runs as one Job per task (task
 * t reads partition t of the stage's input topics), each with its own state
 * file, stepped by N worker threads.  The job the API shows (the parent)
 * runs nothing itself: its snapshot and counters are the sums of its
 * tasks'.
 */
#ifndef EDDY_KAFKA_TASKS_H
#define EDDY_KAFKA_TASKS_H

#include <signal.h>

#include "exec.h"

typedef struct TaskSet TaskSet;

/* Whether plan p can run as tasks: every source a Kafka topic (or an
 * exchange's), no 'topic-pattern', sinks into topics (or blackhole/print),
 * and a plan of one stage only stateless operators (a keyed operator over
 * source partitions needs the planner's exchange in front of it).  If
 * not, why, in why (for a notice: the job then runs as one job). */
bool tasks_eligible(const Plan *p, char *why, size_t cap);

/* The tasks of parent's plan, on nworkers threads; state_dir NULL = no
 * state files, else each task's file is STATE_DIR/s<stage>-t<task>.db
 * (the directory is made if needed; reset empties each file).  The
 * parent's callbacks (rows, print, notices) and run options (bounded,
 * per_record, open_end) apply to every task; rows and prints are
 * serialised.  Tasks are made by tasks_run, which must know the cluster. */
TaskSet *tasks_new(Job *parent, int nworkers, const char *state_dir, bool reset);

/* --group NAME (docs/scaling.md): the process runs only the tasks whose
 * partition (of the stage's first input topic) the consumer group
 * "NAME-<job>-s<stage>" gives it, their state following them through changelog
 * topics "<job>-s<stage>-changelog".  session_ms: the members'
 * session.timeout.ms (0: 10000).  Before tasks_run. */
void tasks_set_group(TaskSet *ts, const char *group, int session_ms);

/* Runs every task until all ended (bounded inputs), *stop (each task stops
 * cleanly with a last checkpoint) or one fails (then all stop; the
 * parent's err names the stage and task).  Publishes the parent's
 * snapshot every 250 ms.  0 or -1. */
int tasks_run(TaskSet *ts, const char *bootstrap, volatile sig_atomic_t *stop);

void tasks_free(TaskSet *ts);

/* Files STATE_DIR holds of a run as tasks (s<stage>-t<task>.db); with
 * remove, deletes them (and their -wal and -shm): 0, or -1 with the reason. */
int tasks_state_files(const char *state_dir, bool remove, int *count, char *err, size_t errlen);

#endif
