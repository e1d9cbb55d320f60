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

#endif
