/*
 * demo_pg.h — `eddy demo --postgres URL`: the reference job's results in a
 * PostgreSQL table as well (demo_pg.c).  cmd_run.c's demo calls it.
 */
#ifndef EDDY_DEMO_PG_H
#define EDDY_DEMO_PG_H

#include <stddef.h>

#include "eddy.h"

/* Compiles, in engine e (whose catalog holds the reference job's
 * orders_summary), a job copying the topic orders_summary into the
 * PostgreSQL table orders_summary at url (created if missing; one upsert
 * per region), and makes it: *script and *job are the caller's to free.
 * 0, or -1 with the reason in err. */
int demo_pg_job(eddy_engine *e, const char *url, eddy_script **script, eddy_job **job, char *err, size_t errlen);

#endif
