/*
** nexmark.c — the Nexmark event generator (nexmark.h says what the events
** are and how they follow the benchmark's model): ids and kinds from the
** event number, hot and active entities, event time from the rate, the
** value distributions, the `extra` padding; and the JSON of Flink's
** nexmark Kafka topic.  Everything is drawn from one splitmix64 stream per
** handle, seeded by the configuration, so a seed gives the same events on
** every machine.  No I/O, no printing.
*/
#include "nexmark.h"

#include "civil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_PERSON_ID 1000   /* person ids start here */
#define FIRST_AUCTION_ID 1000  /* auction ids start here */
#define FIRST_CATEGORY_ID 10   /* categories are 10..14 */
#define NUM_CATEGORIES 5
#define ID_LEAD 10             /* ids a random pick may reach beyond the last one */
#define HOT_BATCH 100          /* hot persons / auctions: the first of each batch of 100 */
#define NUM_CHANNELS 10000     /* cold channels: channel-0 .. channel-9999 */
#define HOT_CHANNEL_RATIO 2    /* 1 in 2 bids is on a hot channel */
#define MIN_STRING_LENGTH 3    /* random strings are 3..max-1 characters */
#define EXTRA_POOL (1 << 20)   /* random letters `extra` takes its slices from */
#define URL_MAX 96             /* a URL with a channel id fits */

static const char *const us_states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const us_cities[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
                                        "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
static const char *const first_names[] = {"Peter", "Paul", "Luke",  "John",   "Saul",  "Vicky",
                                          "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
static const char *const last_names[] = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                         "Walton", "Smith",  "Jones",   "Noris"};
static const char *const hot_channels[] = {"Google", "Facebook", "Baidu", "Apple"};
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A channel and its URL. */
typedef struct channel {
    char name[16];     /* "channel-K" */
    char url[URL_MAX]; /* its URL */
    int  nname, nurl;  /* their lengths */
} channel;

struct nexmark_gen {
    nexmark_config c;       /* the parameters */
    int      total;         /* sum of the proportions */
    double   delay_us;      /* event time between two events, µs */
    uint64_t rng;           /* splitmix64 state */
    int64_t  count;         /* events generated so far */
    char    *pool;          /* EXTRA_POOL random letters for `extra` */
    channel *channels;      /* NUM_CHANNELS cold channels */
    channel  hot[4];        /* the hot channels with their URLs */
    /* Per-event strings (the event points into these). */
    char name[32], email[32], card[24], item[24], desc[104];
};

void nexmark_config_default(nexmark_config *c)
{
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->events = 0;
    c->event_rate = 10000;
    c->base_time_ms = 1436918400000LL; /* 2015-07-15T00:00:00Z */
    c->person_proportion = 1;
    c->auction_proportion = 3;
    c->bid_proportion = 46;
    c->avg_person_size = 200;
    c->avg_auction_size = 500;
    c->avg_bid_size = 100;
    c->hot_auctions_ratio = 2;
    c->hot_sellers_ratio = 4;
    c->hot_bidders_ratio = 4;
    c->num_active_people = 1000;
    c->num_in_flight_auctions = 100;
}

/* ---- Random draws --------------------------------------------------------- */

static uint64_t rnd(nexmark_gen *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n >= 1), without modulo bias. */
static int64_t rnd_below(nexmark_gen *g, int64_t n)
{
    uint64_t un = (uint64_t)n, threshold = (0 - un) % un, x;
    do
        x = rnd(g);
    while (x < threshold);
    return (int64_t)(x % un);
}

/* Uniform in [0, 1). */
static double rnd_unit(nexmark_gen *g) { return (double)(rnd(g) >> 11) * 0x1.0p-53; }

/* A price in cents: log-uniform from 100 to 100,000,000. */
static int64_t next_price(nexmark_gen *g) { return (int64_t)llround(pow(10.0, rnd_unit(g) * 6.0) * 100.0); }

/* A random string of MIN_STRING_LENGTH..max-1 lowercase letters, 1 in 13
** of them `special` instead; with special ' ' the ends are trimmed. */
static int next_string(nexmark_gen *g, char *out, int max, char special)
{
    int len = MIN_STRING_LENGTH + (int)rnd_below(g, max - MIN_STRING_LENGTH);
    for (int i = 0; i < len; i++)
        out[i] = rnd_below(g, 13) == 0 ? special : (char)('a' + rnd_below(g, 26));
    int b = 0, e = len;
    if (special == ' ') {
        while (b < e && out[b] == ' ') b++;
        while (e > b && out[e - 1] == ' ') e--;
        if (b) memmove(out, out + b, (size_t)(e - b));
    }
    return e - b;
}

/* Padding that brings an event of `have` bytes to `avg` on average: a
** length uniform within ±20 % of what is missing, a slice of the pool. */
static nexmark_str next_extra(nexmark_gen *g, int have, int avg)
{
    nexmark_str s = {g->pool, 0};
    if (have > avg) return s;
    int want = avg - have;
    int delta = (int)lround(want * 0.2);
    int len = want - delta + (delta == 0 ? 0 : (int)rnd_below(g, 2 * (int64_t)delta));
    s.p = g->pool + rnd_below(g, EXTRA_POOL - len);
    s.n = len;
    return s;
}

/* ---- Ids ------------------------------------------------------------------ */

/* The last person created by event id `id` (base 0): the current one when
** id is a person's. */
static int64_t last_person(const nexmark_gen *g, int64_t id)
{
    int64_t epoch = id / g->total, off = id % g->total;
    if (off >= g->c.person_proportion) off = g->c.person_proportion - 1;
    return epoch * g->c.person_proportion + off;
}

/* The last auction created by event id `id` (base 0). */
static int64_t last_auction(const nexmark_gen *g, int64_t id)
{
    int64_t epoch = id / g->total, off = id % g->total;
    if (off < g->c.person_proportion) {   /* a person: the previous group's last auction */
        epoch--;
        off = g->c.auction_proportion - 1;
    } else if (off >= g->c.person_proportion + g->c.auction_proportion) {   /* a bid */
        off = g->c.auction_proportion - 1;
    } else {
        off -= g->c.person_proportion;
    }
    return epoch * g->c.auction_proportion + off;
}

/* One of the active persons, or a few about to be created (base 0). */
static int64_t random_person(nexmark_gen *g, int64_t id)
{
    int64_t people = last_person(g, id) + 1;
    int64_t active = people < g->c.num_active_people ? people : g->c.num_active_people;
    return people - active + rnd_below(g, active + ID_LEAD);
}

/* One of the auctions likely in flight, or a few about to be (base 0). */
static int64_t random_auction(nexmark_gen *g, int64_t id)
{
    int64_t hi = last_auction(g, id);
    int64_t lo = hi - g->c.num_in_flight_auctions > 0 ? hi - g->c.num_in_flight_auctions : 0;
    return lo + rnd_below(g, hi - lo + 1 + ID_LEAD);
}

/* Event time of event number n. */
static int64_t event_time(const nexmark_gen *g, int64_t n)
{
    return g->c.base_time_ms + (int64_t)((double)n * g->delay_us) / 1000;
}

/* ---- The handle ----------------------------------------------------------- */

static int url_make(nexmark_gen *g, char *out)
{
    int n = snprintf(out, URL_MAX, "https://www.nexmark.com/");
    for (int i = 0; i < 3; i++) {
        n += next_string(g, out + n, 5, '_');
        out[n++] = '/';
    }
    n += snprintf(out + n, (size_t)(URL_MAX - n), "item.htm?query=1");
    return n;
}

nexmark_gen *nexmark_gen_new(const nexmark_config *config, char *err, size_t errlen)
{
    const nexmark_config *c = config;
    const char *bad = NULL;
    if (c->events < 0) bad = "events must be 0 (no end) or more";
    else if (!(c->event_rate > 0) || c->event_rate > 1e12) bad = "event rate must be above 0 events/s";
    else if (c->person_proportion < 1 || c->auction_proportion < 1 || c->bid_proportion < 1 ||
             (int64_t)c->person_proportion + c->auction_proportion + c->bid_proportion > 1000000)
        bad = "person, auction and bid proportions must each be at least 1";
    else if (c->avg_person_size < 0 || c->avg_auction_size < 0 || c->avg_bid_size < 0 || c->avg_person_size > 100000 ||
             c->avg_auction_size > 100000 || c->avg_bid_size > 100000)
        bad = "average sizes must be 0 to 100000 bytes";
    else if (c->hot_auctions_ratio < 1 || c->hot_sellers_ratio < 1 || c->hot_bidders_ratio < 1)
        bad = "hot ratios must be at least 1";
    else if (c->num_active_people < 1 || c->num_in_flight_auctions < 1)
        bad = "active people and in-flight auctions must be at least 1";
    if (bad) {
        if (err) snprintf(err, errlen, "nexmark: %s", bad);
        return NULL;
    }
    nexmark_gen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->c = *c;
    g->total = c->person_proportion + c->auction_proportion + c->bid_proportion;
    g->delay_us = 1e6 / c->event_rate;
    g->rng = c->seed;
    g->pool = malloc(EXTRA_POOL);
    g->channels = malloc(sizeof *g->channels * NUM_CHANNELS);
    if (!g->pool || !g->channels) abort();
    for (int i = 0; i < EXTRA_POOL; i++) g->pool[i] = (char)('a' + rnd_below(g, 26));
    for (int i = 0; i < NELEM(hot_channels); i++) {
        channel *h = &g->hot[i];
        h->nname = snprintf(h->name, sizeof h->name, "%s", hot_channels[i]);
        h->nurl = url_make(g, h->url);
    }
    for (int i = 0; i < NUM_CHANNELS; i++) {
        channel *ch = &g->channels[i];
        ch->nname = snprintf(ch->name, sizeof ch->name, "channel-%d", i);
        ch->nurl = url_make(g, ch->url);
        if (rnd_below(g, 10) > 0) {
            /* the channel's number bit-reversed as a 32-bit int, its
            ** absolute value (which leaves INT32_MIN as it is) */
            uint32_t r = 0, v = (uint32_t)i;
            for (int b = 0; b < 32; b++, v >>= 1) r = (r << 1) | (v & 1);
            int64_t s = (int32_t)r;
            if (s < 0 && s != INT32_MIN) s = -s;
            ch->nurl += snprintf(ch->url + ch->nurl, (size_t)(URL_MAX - ch->nurl), "&channel_id=%lld", (long long)s);
        }
    }
    return g;
}

static nexmark_str str_of(const char *p, int n)
{
    nexmark_str s = {p, n};
    return s;
}

static nexmark_str str_c(const char *p) { return str_of(p, (int)strlen(p)); }

static void next_person(nexmark_gen *g, int64_t id, int64_t ts, nexmark_person *p)
{
    p->id = last_person(g, id) + FIRST_PERSON_ID;
    const char *first = first_names[rnd_below(g, NELEM(first_names))];
    const char *last = last_names[rnd_below(g, NELEM(last_names))];
    p->name = str_of(g->name, snprintf(g->name, sizeof g->name, "%s %s", first, last));
    int n = next_string(g, g->email, 7, ' ');
    g->email[n++] = '@';
    n += next_string(g, g->email + n, 5, ' ');
    memcpy(g->email + n, ".com", 4);
    p->email_address = str_of(g->email, n + 4);
    p->credit_card = str_of(g->card, snprintf(g->card, sizeof g->card, "%04d %04d %04d %04d", (int)rnd_below(g, 10000),
                                              (int)rnd_below(g, 10000), (int)rnd_below(g, 10000),
                                              (int)rnd_below(g, 10000)));
    p->city = str_c(us_cities[rnd_below(g, NELEM(us_cities))]);
    p->state = str_c(us_states[rnd_below(g, NELEM(us_states))]);
    p->date_time = ts;
    int have = 8 + p->name.n + p->email_address.n + p->credit_card.n + p->city.n + p->state.n;
    p->extra = next_extra(g, have, g->c.avg_person_size);
}

static void next_auction(nexmark_gen *g, int64_t n, int64_t id, int64_t ts, nexmark_auction *a)
{
    a->id = last_auction(g, id) + FIRST_AUCTION_ID;
    int64_t seller;
    if (rnd_below(g, g->c.hot_sellers_ratio) > 0)   /* hot: the first of the last batch of persons */
        seller = last_person(g, id) / HOT_BATCH * HOT_BATCH;
    else
        seller = random_person(g, id);
    a->seller = seller + FIRST_PERSON_ID;
    a->category = FIRST_CATEGORY_ID + rnd_below(g, NUM_CATEGORIES);
    a->initial_bid = next_price(g);
    /* Length: on average the event time until num_in_flight_auctions more
    ** auctions have been created. */
    int64_t ahead = (int64_t)g->c.num_in_flight_auctions * g->total / g->c.auction_proportion;
    int64_t horizon = event_time(g, n + ahead) - ts;
    a->expires = ts + 1 + rnd_below(g, horizon * 2 > 1 ? horizon * 2 : 1);
    a->item_name = str_of(g->item, next_string(g, g->item, 20, ' '));
    a->description = str_of(g->desc, next_string(g, g->desc, 100, ' '));
    a->reserve = a->initial_bid + next_price(g);
    a->date_time = ts;
    int have = 8 + a->item_name.n + a->description.n + 8 + 8 + 8 + 8 + 8;
    a->extra = next_extra(g, have, g->c.avg_auction_size);
}

static void next_bid(nexmark_gen *g, int64_t id, int64_t ts, nexmark_bid *b)
{
    int64_t auction, bidder;
    if (rnd_below(g, g->c.hot_auctions_ratio) > 0)   /* hot: the first of the last batch of auctions */
        auction = last_auction(g, id) / HOT_BATCH * HOT_BATCH;
    else
        auction = random_auction(g, id);
    b->auction = auction + FIRST_AUCTION_ID;
    if (rnd_below(g, g->c.hot_bidders_ratio) > 0)    /* hot: the second of the batch, not the seller */
        bidder = last_person(g, id) / HOT_BATCH * HOT_BATCH + 1;
    else
        bidder = random_person(g, id);
    b->bidder = bidder + FIRST_PERSON_ID;
    b->price = next_price(g);
    const channel *ch =
        rnd_below(g, HOT_CHANNEL_RATIO) > 0 ? &g->hot[rnd_below(g, NELEM(hot_channels))] : &g->channels[rnd_below(g, NUM_CHANNELS)];
    b->channel = str_of(ch->name, ch->nname);
    b->url = str_of(ch->url, ch->nurl);
    b->date_time = ts;
    b->extra = next_extra(g, 8 + 8 + 8 + 8, g->c.avg_bid_size);
}

int nexmark_gen_next(nexmark_gen *g, nexmark_event *ev)
{
    if (g->c.events > 0 && g->count >= g->c.events) return 0;
    int64_t n = g->count + 1;   /* event number, from 1 as the reference's */
    int64_t id = n + 1;         /* event id: first id 1, plus the number */
    int64_t ts = event_time(g, n);
    int64_t rem = id % g->total;
    ev->number = n;
    ev->date_time = ts;
    if (rem < g->c.person_proportion) {
        ev->kind = NEXMARK_PERSON;
        next_person(g, id, ts, &ev->person);
    } else if (rem < g->c.person_proportion + g->c.auction_proportion) {
        ev->kind = NEXMARK_AUCTION;
        next_auction(g, n, id, ts, &ev->auction);
    } else {
        ev->kind = NEXMARK_BID;
        next_bid(g, id, ts, &ev->bid);
    }
    g->count++;
    return 1;
}

int64_t nexmark_gen_count(const nexmark_gen *g) { return g->count; }

void nexmark_gen_free(nexmark_gen *g)
{
    if (!g) return;
    free(g->pool);
    free(g->channels);
    free(g);
}

/* ---- JSON ----------------------------------------------------------------- */

size_t nexmark_json_max(const nexmark_config *c)
{
    int most = c->avg_person_size;
    if (c->avg_auction_size > most) most = c->avg_auction_size;
    if (c->avg_bid_size > most) most = c->avg_bid_size;
    /* extra is at most 1.2 × the average; the rest of an event is < 1 KiB
    ** even with every string escaped (none of the strings needs escaping). */
    return (size_t)most * 2 + 1024;
}

/* A bounded writer; `ok` turns 0 once something does not fit. */
typedef struct jw {
    char  *p;   /* the buffer */
    size_t n;   /* bytes written */
    size_t cap; /* its size */
    int    ok;  /* everything fitted */
} jw;

static void jw_mem(jw *w, const char *s, size_t len)
{
    if (!w->ok || w->n + len >= w->cap) {
        w->ok = 0;
        return;
    }
    memcpy(w->p + w->n, s, len);
    w->n += len;
}

static void jw_lit(jw *w, const char *s) { jw_mem(w, s, strlen(s)); }

static void jw_int(jw *w, int64_t v)
{
    char b[24];
    jw_mem(w, b, (size_t)snprintf(b, sizeof b, "%lld", (long long)v));
}

/* A JSON string.  The generator's strings are letters, digits, spaces and
** URL characters, but escape what JSON requires all the same. */
static void jw_str(jw *w, nexmark_str s)
{
    jw_mem(w, "\"", 1);
    int from = 0;
    for (int i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if (ch == '"' || ch == '\\' || ch < 0x20) {
            char esc[8];
            jw_mem(w, s.p + from, (size_t)(i - from));
            jw_mem(w, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", ch));
            from = i + 1;
        }
    }
    jw_mem(w, s.p + from, (size_t)(s.n - from));
    jw_mem(w, "\"", 1);
}

/* A TIMESTAMP(3) as Flink's JSON format writes it: "yyyy-MM-dd HH:mm:ss.SSS". */
static void jw_time(jw *w, int64_t ms)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rest = ms - days * 86400000, y;
    int mo, d;
    civil_from_days(days, &y, &mo, &d);
    char b[40];
    jw_mem(w, b,
           (size_t)snprintf(b, sizeof b, "\"%04lld-%02d-%02d %02d:%02d:%02d.%03d\"", (long long)y, mo, d,
                            (int)(rest / 3600000), (int)(rest / 60000 % 60), (int)(rest / 1000 % 60), (int)(rest % 1000)));
}

int nexmark_event_json(const nexmark_event *ev, char *buf, size_t cap)
{
    jw w = {buf, 0, cap, 1};
    jw_lit(&w, "{\"event_type\":");
    jw_int(&w, ev->kind);
    jw_lit(&w, ",\"person\":");
    if (ev->kind == NEXMARK_PERSON) {
        const nexmark_person *p = &ev->person;
        jw_lit(&w, "{\"id\":"), jw_int(&w, p->id);
        jw_lit(&w, ",\"name\":"), jw_str(&w, p->name);
        jw_lit(&w, ",\"emailAddress\":"), jw_str(&w, p->email_address);
        jw_lit(&w, ",\"creditCard\":"), jw_str(&w, p->credit_card);
        jw_lit(&w, ",\"city\":"), jw_str(&w, p->city);
        jw_lit(&w, ",\"state\":"), jw_str(&w, p->state);
        jw_lit(&w, ",\"dateTime\":"), jw_time(&w, p->date_time);
        jw_lit(&w, ",\"extra\":"), jw_str(&w, p->extra);
        jw_lit(&w, "}");
    } else {
        jw_lit(&w, "null");
    }
    jw_lit(&w, ",\"auction\":");
    if (ev->kind == NEXMARK_AUCTION) {
        const nexmark_auction *a = &ev->auction;
        jw_lit(&w, "{\"id\":"), jw_int(&w, a->id);
        jw_lit(&w, ",\"itemName\":"), jw_str(&w, a->item_name);
        jw_lit(&w, ",\"description\":"), jw_str(&w, a->description);
        jw_lit(&w, ",\"initialBid\":"), jw_int(&w, a->initial_bid);
        jw_lit(&w, ",\"reserve\":"), jw_int(&w, a->reserve);
        jw_lit(&w, ",\"dateTime\":"), jw_time(&w, a->date_time);
        jw_lit(&w, ",\"expires\":"), jw_time(&w, a->expires);
        jw_lit(&w, ",\"seller\":"), jw_int(&w, a->seller);
        jw_lit(&w, ",\"category\":"), jw_int(&w, a->category);
        jw_lit(&w, ",\"extra\":"), jw_str(&w, a->extra);
        jw_lit(&w, "}");
    } else {
        jw_lit(&w, "null");
    }
    jw_lit(&w, ",\"bid\":");
    if (ev->kind == NEXMARK_BID) {
        const nexmark_bid *b = &ev->bid;
        jw_lit(&w, "{\"auction\":"), jw_int(&w, b->auction);
        jw_lit(&w, ",\"bidder\":"), jw_int(&w, b->bidder);
        jw_lit(&w, ",\"price\":"), jw_int(&w, b->price);
        jw_lit(&w, ",\"channel\":"), jw_str(&w, b->channel);
        jw_lit(&w, ",\"url\":"), jw_str(&w, b->url);
        jw_lit(&w, ",\"dateTime\":"), jw_time(&w, b->date_time);
        jw_lit(&w, ",\"extra\":"), jw_str(&w, b->extra);
        jw_lit(&w, "}");
    } else {
        jw_lit(&w, "null");
    }
    jw_lit(&w, ",\"dateTime\":");
    jw_time(&w, ev->date_time);
    jw_lit(&w, "}");
    if (!w.ok) return -1;
    buf[w.n] = '\0';
    return (int)w.n;
}
