/*
 * demo_pg.c — the demo's PostgreSQL leg (demo_pg.h): results served from a
 * database, as DESIGN.md's story has it.  A second job reads the reference
 * job's result topic orders_summary (an upsert stream, keyed by region) and
 * writes it into the PostgreSQL table orders_summary through the jdbc
 * connector ('sink.create-table': made on first use), so that
 *     psql URL -c 'SELECT * FROM orders_summary ORDER BY region'
 * shows the live per-region table.  Without a state file the sink commits
 * each flush ('sink.buffer-flush.interval', 1 s): the table trails the
 * topic by about a second, and an upsert per region makes a restart
 * harmless.
 */
#include "demo_pg.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "strbuf.h"

int demo_pg_job(eddy_engine *e, const char *url, eddy_script **script, eddy_job **job, char *err, size_t errlen)
{
    *script = NULL;
    *job = NULL;
    StrBuf q = {0};   /* url as an SQL string literal */
    for (const char *p = url; *p; p++) {
        if (*p == '\'') sb_putc(&q, '\'');
        sb_putc(&q, *p);
    }
    StrBuf sql = {0};
    sb_printf(&sql,
              "CREATE TABLE orders_summary_pg (\n"
              "  region STRING PRIMARY KEY NOT ENFORCED,\n"
              "  total_orders BIGINT,\n"
              "  total_sales DOUBLE,\n"
              "  avg_order_value DOUBLE\n"
              ") WITH ('connector' = 'jdbc', 'url' = '%s', 'table-name' = 'orders_summary', 'sink.create-table' = 'true');\n"
              "INSERT INTO orders_summary_pg SELECT region, total_orders, total_sales, avg_order_value FROM orders_summary;\n",
              q.s ? q.s : "");
    sb_free(&q);
    int rc = -1;
    if (eddy_compile(e, sql.s, sql.len, "<demo --postgres>", script)) {
        snprintf(err, errlen, "%s", eddy_errtext(e));
        goto out;
    }
    const eddy_plan *plan = NULL;
    for (int i = 0; i < eddy_script_count(*script) && !plan; i++) plan = eddy_script_plan(*script, i);
    eddy_job_options jo = {.on_notice = cmd_notice_stderr, .lag = 1};   /* (reconnects, retries; the demo stops it at lag 0) */
    if (!plan || !(*job = eddy_job_new(plan, &jo, err, errlen))) {
        if (!plan) snprintf(err, errlen, "no job to run");
        goto out;
    }
    rc = 0;
out:
    sb_free(&sql);
    return rc;
}
