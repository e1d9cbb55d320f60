/*
 * kafka_driver.h — running a Job over Kafka (kafka_driver.c): the one
 * place that turns a plan's sources and sinks into a consumer and a
 * producer.  The executor (exec.h) stays connector-free.
 */
#ifndef EDDY_KAFKA_DRIVER_H
#define EDDY_KAFKA_DRIVER_H

#include <signal.h>

#include "exec.h"

/* Runs the job over Kafka until *stop becomes non-zero, the job is done
 * (bounded reads finished, a SELECT's LIMIT reached) or an error occurs
 * (0 or -1, the message in j->err).  On stop it finishes the batch,
 * flushes operators and the producer and takes a last checkpoint.
 * bootstrap may be NULL (then the plan's properties.bootstrap.servers). */
int job_run_kafka(Job *j, const char *bootstrap, volatile sig_atomic_t *stop);

/* The same run, stepped, so that one thread can run several jobs (the
 * tasks of a parallel job, kafka_tasks.c) by stepping each in turn:
 * job_run_kafka is driver_open, driver_step until it is not 0, then
 * driver_close.
 *
 * driver_open does everything before the loop (clients, start positions,
 * a restart's replay); it always returns a driver (a failure or a stop
 * while it waited shows at the first step).  driver_step polls at most
 * timeout_ms for records and handles what came: 0 to go on, 1 when the
 * run is over (read to its end, stopped: *stop, a LIMIT reached), -1
 * when it failed (the message in j->err).  driver_close finishes it: a
 * run that did not fail stops cleanly (final watermark of a bounded
 * run, flush, every delivery, the last checkpoint); it frees the driver
 * and returns the run's result (0 or -1).  A driver belongs to the thread
 * that steps it; driver_got says how many records its last step read. */
typedef struct Driver Driver;
Driver *driver_open(Job *j, const char *bootstrap, volatile sig_atomic_t *stop);
int     driver_step(Driver *d, int timeout_ms);
int     driver_got(const Driver *d);
int     driver_close(Driver *d);

/* Clients shared by the drivers a worker thread steps (Kafka Streams' model:
 * one consumer and one producer per thread, records dealt to each task by
 * topic and partition).  A driver opened with driver_open_shared makes its
 * own consumer for what it does before reading (start positions, a
 * restart's scans), then hands its partitions to the shared one
 * (share_join) and writes through the shared producer, which the
 * first such driver makes with its properties: share one only among drivers
 * of the same plan (the tasks of one stage).  driver_step_shared steps the
 * n drivers of a share once, with one poll: rcs[i] is driver i's step
 * result (non-zero ones are skipped: that driver is over; the caller closes
 * it).  driver_close takes its partitions off the shared consumer.
 * driver_share_free after every driver of it is closed. */
typedef struct DriverShare DriverShare;
DriverShare *driver_share_new(void);
void         driver_share_free(DriverShare *sh);
Driver      *driver_open_shared(Job *j, const char *bootstrap, volatile sig_atomic_t *stop, DriverShare *sh);
int          driver_step_shared(DriverShare *sh, Driver **ds, int *rcs, int n, int timeout_ms);

/* Where the exchange topics job j's plan reads end now (one SourceOffset
 * per partition, topic names in plan memory; *out malloc'd): taken before
 * the run's writers start, they are where its fresh readers start
 * (driver_share_starts: a run before may have left records there).  0, or
 * -1 (the message in j->err). */
int  driver_exchange_starts(Job *j, const char *bootstrap, SourceOffset **out, int *n);
void driver_share_starts(DriverShare *sh, const SourceOffset *xstarts, int n);

/* The tasks of a stage: the largest partition count of the topics its
 * sources read (docs/scaling.md), waiting for topics that do not exist
 * yet.  0, 1 when stopped meanwhile, -1 (the message in j->err). */
int job_kafka_task_count(Job *j, const char *bootstrap, volatile sig_atomic_t *stop, int *n);

/* For lag: the sum over every source's topic partitions of where a run
 * starts reading (start: the state file's offsets, else the table's
 * scan.startup.mode) or of the current end offsets (!start).  A topic that
 * does not exist yet counts 0 when the run would read it from the start.
 * bootstrap may be NULL (then the plan's).  0, or -1 when the cluster cannot
 * say (or a start is a timestamp or a group's offsets). */
int job_kafka_offset_sum(const Job *j, const char *bootstrap, bool start, long long *sum);

#endif
