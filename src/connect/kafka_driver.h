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

/* For lag: the sum over every source's topic partitions of where a run
 * starts reading (start: the state file's offsets, else the table's
 * scan.startup.mode) or of the current end offsets (!start).  A topic that
 * does not exist yet counts 0 when the run would read it from the start.
 * bootstrap may be NULL (then the plan's).  0, or -1 when the cluster cannot
 * say (or a start is a timestamp or a group's offsets). */
int job_kafka_offset_sum(const Job *j, const char *bootstrap, bool start, long long *sum);

#endif
