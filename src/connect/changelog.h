/*
 * changelog.h — a task's state as one Kafka partition (its state changelog
 * topic), so that a task can move to another process (docs/scaling.md).
 *
 * After each checkpoint is committed to the task's state file, the task
 * appends that checkpoint's batch (state.h: what changed, its offsets and
 * meta) to partition t of `<job>-s<stage>-changelog`; from time to time a
 * snapshot of the whole file instead (state_export: a reset, then
 * everything), so that what the topic keeps — a development broker keeps
 * only a partition's last few MiB — always holds a snapshot and what came
 * after it.  A checkpoint goes as one or more records (chunks of at most
 * CHANGELOG_CHUNK bytes of state_batch_encode's output), each keyed
 * "<checkpoint> <i>/<n> <s|d>" (snapshot or delta).
 *
 * Restoring reads the partition from the last complete snapshot it holds
 * (or from offset 0 when nothing was ever lost) and writes each complete
 * checkpoint into a state file, in order; the chunks of a checkpoint a
 * crashed writer left incomplete are skipped.  Malformed records are an
 * error naming topic, partition and offset, never a crash.
 *
 * Conventions of kafka.h: rc returns, errors into the caller's buffer,
 * nothing prints.
 */
#ifndef EDDY_CHANGELOG_H
#define EDDY_CHANGELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "state.h"

#define CHANGELOG_CHUNK (512 * 1024)

/* Queues checkpoint ckpt's batch (a snapshot when `snapshot`) for partition
 * `partition` of topic; *bytes (may be NULL) gets the bytes queued.  The
 * caller waits for the acknowledgement (kafka_producer_flush) before it
 * counts the checkpoint as in the changelog. */
int changelog_append(kafka_producer *p, const char *topic, int32_t partition, int64_t ckpt, const StateBatch *b,
                     bool snapshot, size_t *bytes, char *err, size_t errlen);

/* What restoring found. */
typedef struct ChangelogRestored {
    int64_t last_ckpt;      /* the last checkpoint written into the file, -1 = none (an empty changelog) */
    int64_t checkpoints;    /* checkpoints applied */
    int64_t bytes;          /* their bytes (the snapshot's and the deltas after it) */
    int64_t since_snapshot; /* bytes of the deltas after the snapshot (when to write the next one) */
} ChangelogRestored;

/* Reads partition `partition` of topic with c (its assignment is replaced)
 * and writes what it holds into `into` (usually a new, empty file).  0, or
 * -1 with err: a malformed record, or a partition whose beginning was
 * lost (retention) with no complete snapshot after it. */
int changelog_restore(kafka_consumer *c, const char *topic, int32_t partition, StateStore *into, ChangelogRestored *out,
                      char *err, size_t errlen);

/* The number of the last complete checkpoint partition `partition` of
 * topic holds (read from its last records with c, whose assignment is
 * replaced): -1 when it is empty, -2 when its last records hold no complete
 * one (a big snapshot; the caller restores to be safe).  0, or -1 (err). */
int changelog_last(kafka_consumer *c, const char *topic, int32_t partition, int64_t *ckpt, char *err, size_t errlen);

#endif
