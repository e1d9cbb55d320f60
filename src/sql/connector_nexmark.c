/*
 * connector_nexmark.c — the 'nexmark' connector, compile side: a source of
 * the Nexmark benchmark's events (persons, auctions and bids), with the
 * option names of Flink's nexmark connector: 'events.num' (without it the
 * source never ends), 'first-event.rate' (events per second of event
 * time), 'rate.limited' (emit at that rate over the wall clock too),
 * '<kind>.proportion', '<kind>.avg-size', the hot ratios; and eddy's
 * 'seed'.  The same options and seed give the same events as
 * `eddy gen nexmark --seed S --event-rate R` writes to Kafka.
 *
 * The table declares the columns of Flink's nexmark table (bench/nexmark/
 * ddl.sql): event_type INT, person ROW<…>, auction ROW<…>, bid ROW<…>, each
 * ROW with the generator's fields in order; computed columns (dateTime)
 * and a WATERMARK are free, as for any source.  Each physical column is
 * checked against what the generator makes: an unknown column, a ROW field
 * of another name or type, or a metadata column is an error naming it.
 * Columns may be left out (they are not made).  The runtime side is
 * exec/op_nexmark.c.
 */
#include "connector.h"

#include <stdio.h>
#include <string.h>

static const OptionDef nexmark_options[] = {
    {.name = "events.num", .type = OPT_INT, .to = {OPT_FIELD(Connector, number_of_rows)}, .min = 1,
     .doc = "nexmark: events in all, after which the source ends (a bounded source: the job finishes). Default: no end."},
    {.name = "first-event.rate", .type = OPT_DOUBLE, .to = {OPT_FIELD(Connector, nexmark.event_rate)}, .deflt = "10000", .min = 0,
     .doc = "nexmark: events per second of event time: event n has time 2015-07-15 00:00:00 + n / rate s (the published runs "
            "use 10000000). eddy's generator has one rate (Flink's next-event.rate and rate.shape are not taken)."},
    {.name = "rate.limited", .type = OPT_BOOL, .to = {OPT_FIELD(Connector, nexmark.rate_limited)}, .deflt = "false",
     .doc = "nexmark: also emit first-event.rate events per second of wall clock (eddy run, the shell); without it the "
            "source emits as fast as the job takes them."},
    {.name = "seed", .type = OPT_UINT, .to = {OPT_FIELD(Connector, seed)}, .deflt = "1",
     .doc = "nexmark (eddy): the generator's seed; the same seed and options make the same events (those of "
            "`eddy gen nexmark --seed S`), and a restart goes on at the event where the checkpoint left it."},
    {.name = "person.proportion", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.person_proportion)}, .deflt = "1", .min = 1,
     .max = 100000, .doc = "nexmark: persons per group of person + auction + bid proportions."},
    {.name = "auction.proportion", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.auction_proportion)}, .deflt = "3", .min = 1,
     .max = 100000, .doc = "nexmark: auctions per group."},
    {.name = "bid.proportion", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.bid_proportion)}, .deflt = "46", .min = 1,
     .max = 100000, .doc = "nexmark: bids per group."},
    {.name = "person.avg-size", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.person_avg_size)}, .deflt = "200", .min = 0,
     .max = 100000, .doc = "nexmark: bytes a person averages (its 'extra' pads it)."},
    {.name = "auction.avg-size", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.auction_avg_size)}, .deflt = "500", .min = 0,
     .max = 100000, .doc = "nexmark: bytes an auction averages."},
    {.name = "bid.avg-size", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.bid_avg_size)}, .deflt = "100", .min = 0,
     .max = 100000, .doc = "nexmark: bytes a bid averages."},
    {.name = "bid.hot-ratio.auctions", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.hot_auctions)}, .deflt = "2", .min = 1,
     .max = 1000000, .doc = "nexmark: 1 in this many bids is not for a hot auction."},
    {.name = "bid.hot-ratio.bidders", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.hot_bidders)}, .deflt = "4", .min = 1,
     .max = 1000000, .doc = "nexmark: 1 in this many bids is not by a hot bidder."},
    {.name = "auction.hot-ratio.sellers", .type = OPT_INT, .to = {OPT_FIELD(Connector, nexmark.hot_sellers)}, .deflt = "4", .min = 1,
     .max = 1000000, .doc = "nexmark: 1 in this many auctions is not by a hot seller."},
    {0},
};

/* What the generator makes: a top-level column, or a ROW's field. */
typedef struct NxField {
    const char *name;
    TypeKind    kind;   /* TY_INT, TY_BIGINT, TY_STRING, TY_TIMESTAMP (precision 3) or TY_ROW */
} NxField;

static const NxField person_fields[] = {{"id", TY_BIGINT},         {"name", TY_STRING}, {"emailAddress", TY_STRING},
                                        {"creditCard", TY_STRING}, {"city", TY_STRING}, {"state", TY_STRING},
                                        {"dateTime", TY_TIMESTAMP}, {"extra", TY_STRING}, {0}};
static const NxField auction_fields[] = {{"id", TY_BIGINT},        {"itemName", TY_STRING}, {"description", TY_STRING},
                                         {"initialBid", TY_BIGINT}, {"reserve", TY_BIGINT}, {"dateTime", TY_TIMESTAMP},
                                         {"expires", TY_TIMESTAMP}, {"seller", TY_BIGINT},  {"category", TY_BIGINT},
                                         {"extra", TY_STRING},     {0}};
static const NxField bid_fields[] = {{"auction", TY_BIGINT}, {"bidder", TY_BIGINT},     {"price", TY_BIGINT}, {"channel", TY_STRING},
                                     {"url", TY_STRING},     {"dateTime", TY_TIMESTAMP}, {"extra", TY_STRING}, {0}};

static const char *kind_text(TypeKind k)
{
    return k == TY_INT ? "INT" : k == TY_BIGINT ? "BIGINT" : k == TY_STRING ? "STRING" : k == TY_TIMESTAMP ? "TIMESTAMP(3)" : "ROW";
}

/* Whether type t is what the generator makes for kind k. */
static bool type_fits(Type t, TypeKind k)
{
    if (t.kind != k) return false;
    if (k == TY_TIMESTAMP) return t.precision == 3;
    if (k == TY_STRING) return t.len == 0;   /* VARCHAR / STRING: no length limit */
    return true;
}

/* The ROW<…> the generator makes, written out for a message. */
static void row_text(StrBuf *b, const NxField *f)
{
    sb_puts(b, "ROW<");
    for (int i = 0; f[i].name; i++) sb_printf(b, "%s%s %s", i ? ", " : "", f[i].name, kind_text(f[i].kind));
    sb_puts(b, ">");
}

/* Column col, declared as a ROW, against the fields the generator makes. */
static int check_row(ConnCtx *c, const CatColumn *col, const NxField *f)
{
    Type t = col->type;
    const char *why = NULL;
    char buf[300];
    int n = 0;
    while (f[n].name) n++;
    if (t.kind != TY_ROW) why = "is not a ROW";
    else if (t.nest->n != n)
        why = (snprintf(buf, sizeof buf, "has %d fields, not %d", t.nest->n, n), buf);
    for (int i = 0; !why && i < n; i++) {
        if (strcmp(t.nest->names[i], f[i].name) != 0)
            why = (snprintf(buf, sizeof buf, "has field %d named '%s', not '%s'", i + 1, t.nest->names[i], f[i].name), buf);
        else if (!type_fits(t.nest->types[i], f[i].kind)) {
            StrBuf ty = {0};
            type_print(&ty, t.nest->types[i]);
            snprintf(buf, sizeof buf, "has field '%s' of type %s, not %s", f[i].name, ty.s, kind_text(f[i].kind));
            sb_free(&ty);
            why = buf;
        }
    }
    if (!why) return 0;
    StrBuf want = {0};
    row_text(&want, f);
    int rc = diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos, "column '%s' %s: the nexmark connector makes %s", col->name, why, want.s);
    sb_free(&want);
    return rc;
}

static int nexmark_resolve(ConnCtx *c)
{
    CatTable *t = c->table;
    Connector *cn = &t->conn;
    cn->kind = CONN_NEXMARK;
    cn->mode = MODE_APPEND;
    cn->topic = t->name;   /* (no topic: only named for messages) */
    if (conn_pos(c, "events.num") < 0) cn->number_of_rows = -1;
    if (!(cn->nexmark.event_rate > 0))
        return diag_error(c->diag, DIAG_OPTION, conn_pos(c, "first-event.rate"), "option 'first-event.rate' must be above 0");
    for (int i = 0; i < t->ncols; i++) {
        const CatColumn *col = &t->cols[i];
        if (col->kind == COL_METADATA)
            return diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos, "column '%s': a nexmark table has no metadata columns (METADATA FROM '%s')",
                              col->name, col->meta_key);
        if (col->kind != COL_PHYSICAL) continue;
        int rc = 0;
        if (strcmp(col->name, "event_type") == 0) {
            if (!type_fits(col->type, TY_INT) && !type_fits(col->type, TY_BIGINT))
                rc = diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos, "column 'event_type': the nexmark connector makes an INT (0 person, 1 auction, 2 bid)");
        } else if (strcmp(col->name, "person") == 0) {
            rc = check_row(c, col, person_fields);
        } else if (strcmp(col->name, "auction") == 0) {
            rc = check_row(c, col, auction_fields);
        } else if (strcmp(col->name, "bid") == 0) {
            rc = check_row(c, col, bid_fields);
        } else {
            rc = diag_error(c->diag, DIAG_OPTION, c->stmt->name_pos,
                            "column '%s': the nexmark connector makes the columns event_type, person, auction and bid (see bench/nexmark/ddl.sql)",
                            col->name);
        }
        if (rc) return rc;
    }
    return 0;
}

const ConnectorDef nexmark_connector = {.options = nexmark_options, .resolve = nexmark_resolve, .source_only = true};
