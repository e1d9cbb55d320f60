/*
 * op_union.c — UNION ALL: every row of every input port goes out as it
 * came (kind, values, timestamp).  The planner gave every input the union's
 * column types (a branch of another type has a CAST projection before it),
 * so rows are copied as they are; strings stay in the batch arena they
 * were made in.  Stateless: no checkpoint, nothing buffered.
 */
#include <string.h>

#include "exec.h"

static int union_init(OpState *s)
{
    (void)s;
    return 0;
}

static int union_process(OpState *s, int port, Batch *in, Batch *out)
{
    (void)port;   /* every port alike */
    size_t width = sizeof(Value) * (size_t)s->node->ncols;
    for (int i = 0; i < in->n; i++) memcpy(batch_add(out, in->kinds[i], in->ts[i]), batch_row(in, i), width);
    return 0;
}

static void union_end(OpState *s) { (void)s; }

const OpVTable op_union_vt = {.init = union_init, .process = union_process, .end = union_end};
