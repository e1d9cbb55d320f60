/*
 * connector.h — where a table's rows live, compile side: the interface each
 * connector implements, and the registry that finds one by name.
 *
 * CREATE TABLE names its connector with the 'connector' option; without it
 * the table is the Kafka topic of the same name (Confluent style).  The
 * binder calls connector_resolve, which checks every WITH option against
 * the connector's option table (an unknown, badly typed or repeated option
 * is an error naming it at its SQL position), parses the options into the
 * table's Connector (defaults from the table) and then lets the connector
 * derive what they leave open and check what they must agree on.
 *
 * A new connector is one file (its option table, its resolve function and
 * its ConnectorDef) plus one row in the registry in connector.c.  Reading
 * and writing rows at run time is not here (exec/, connect/).
 */
#ifndef EDDY_CONNECTOR_H
#define EDDY_CONNECTOR_H

#include "ast.h"
#include "catalog.h"
#include "diag.h"
#include "options.h"

/* What a connector's resolve function works on. */
typedef struct ConnCtx {
    const AstStmt *stmt;        /* the CREATE TABLE: its options and their positions */
    CatTable      *table;       /* the table; table->conn holds the parsed options */
    const char    *session_url; /* the session's SET 'avro-confluent.url', or NULL */
    Diag          *diag;        /* where an error goes */
} ConnCtx;

typedef struct ConnectorDef {
    /* The WITH options it takes besides 'connector' (ends with a NULL
     * name), in the order they apply: a later row overrides a field an
     * earlier one set.  Two connectors may share one table. */
    const OptionDef *options;
    /* Derives what the options leave open (defaults that depend on the
     * table) and checks what they must agree on; 0, or the DIAG_* code of
     * an error naming the option and its position (conn_pos). */
    int (*resolve)(ConnCtx *c);
    /* Options of each column ('fields.#.kind': '#' stands for the column),
     * documented with the others; the resolve function parses them.  NULL = none. */
    const OptionDef *per_column;
    bool source_only;   /* the table can only be read (datagen): INSERT INTO it is an error */
    bool sink_only;     /* the table can only be written (blackhole, print): FROM it is an error */
} ConnectorDef;

/* The Connector of table t from the WITH options of s; 0 or a DIAG_* code.
 * session_url: the session's Schema Registry, or NULL. */
int connector_resolve(const AstStmt *s, CatTable *t, const char *session_url, Diag *d);
/* A table option of any connector named key (for SET's hint), NULL if none. */
const OptionDef *connector_option_find(const char *key);
/* The documentation of every table option (`eddy help options`). */
void connector_document(StrBuf *out);
/* The name of a table's connector as the registry writes it ("kafka" when
 * the table has no 'connector' option). */
const char *connector_name(const Connector *c);
/* Calls fn with the name of every WITH option of every connector, once each. */
void connector_option_names(void (*fn)(void *ctx, const char *name), void *ctx);

/* 0, or an error at pos when table t cannot be used as asked: read
 * (FROM, as_sink false) or written (INSERT INTO) — a datagen table is
 * only read, a blackhole or print table only written. */
int connector_check_use(const CatTable *t, bool as_sink, int pos, Diag *d);

/* ---- for connectors' resolve functions ---- */

/* SQL position of the value of option key; -1 if it was not given. */
int conn_pos(const ConnCtx *c, const char *key);
/* 0 if the table has a PRIMARY KEY; else an error at pos saying that
 * `what` ("changelog.mode 'upsert'") needs one. */
int conn_require_pk(ConnCtx *c, int pos, const char *what);

#endif
