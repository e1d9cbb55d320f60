/*
** nexmark.h — the Nexmark benchmark's event generator: persons, auctions
** and bids, as the benchmark defines them (the Nexmark paper, and the
** generator model of the nexmark/nexmark project that Flink's, RisingWave's
** and Feldera's published runs use).  A handle draws one event at a time;
** the same configuration and seed give the same events, byte for byte.
**
** What follows the benchmark's model:
**  - Event ids and kinds.  Event number n (from 1, as the reference's
**    single generator) has id n + 1; id mod (sum of the proportions) says
**    its kind: below the person proportion a person, then auctions, then
**    bids — persons, auctions and bids in the 1 : 3 : 46 proportion by
**    default, in that fixed order within each group of 50 ids.
**  - Ids.  The k-th person (from 0) has id 1000 + k, the k-th auction
**    1000 + k, derived from the event id (lastBase0PersonId /
**    lastBase0AuctionId), so ids never repeat and a bid or auction refers
**    only to persons and auctions that exist or are about to (a lead of 10).
**  - Hot entities.  An auction's seller is, with probability
**    1 - 1/hot_sellers_ratio, the first of the last batch of 100 persons,
**    else one of the `num_active_people` most recent persons (plus the lead);
**    a bid's auction is, with probability 1 - 1/hot_auctions_ratio, the first
**    of the last batch of 100 auctions, else one of the
**    `num_in_flight_auctions` most recent; its bidder the second of the last
**    batch of 100 persons with probability 1 - 1/hot_bidders_ratio, else an
**    active person.
**  - Time.  Event number n has event time base_time_ms + n × 1e6 / rate µs
**    (truncated to ms): `event_rate` is events per second of *event* time
**    (Flink's `first-event.rate`), whatever the speed they are produced at.
**    An auction expires 1 ms + uniform(2 × horizon) after its start, the
**    horizon being the event time of the auction num_in_flight_auctions
**    auctions later.
**  - Values.  Prices are round(10^(6u) × 100) for u uniform in [0, 1)
**    (cents, log-uniform from 1.00 to 1,000,000.00); a reserve is the
**    initial bid plus another such price; categories 10..14; names from
**    fixed lists; random lowercase strings with an occasional space or '_';
**    a bid's channel is one of 4 hot channels (Google, Facebook, Baidu,
**    Apple: probability 1/2) with a fixed URL each, else "channel-K" for K
**    uniform in 0..9999 with that channel's URL, which in 9 of 10 channels
**    ends in "&channel_id=" and the 32-bit bit-reversal of K; a URL is
**    https://www.nexmark.com/<dir>/<dir>/<dir>/item.htm?query=1.
**  - `extra` pads each event to its kind's average size (200, 500, 100
**    bytes: the fixed fields count as in the reference), with a length
**    uniform within ±20 % of what is missing; its characters are a slice of
**    a pool of random lowercase letters drawn once per generator.
**
** Where it differs, on purpose: the reference draws from an unseeded
** random generator (no two runs alike) and its bid generator adds the
** person id offset (1000) to the bidder twice; this one is seeded, and a
** bidder is a person id like a seller.  The random draws themselves are
** this file's own (a splitmix64 stream), so the events are the
** benchmark's in distribution, not in value.
**
** Strings of an event point into the handle and stay valid until the next
** nexmark_gen_next or nexmark_gen_free; they are not NUL-terminated (use
** the lengths).  No I/O, no printing; the Kafka side is `eddy gen nexmark`
** (cli/cmd_gen.c through eddy_gen_* in dev_api.c).
*/
#ifndef EDDY_NEXMARK_H
#define EDDY_NEXMARK_H

#include <stddef.h>
#include <stdint.h>

/* The generator's parameters; nexmark_config_default fills the benchmark's. */
typedef struct nexmark_config {
    uint64_t seed;               /* random stream; same seed, same events */
    int64_t  events;             /* events to generate; 0 = no end */
    double   event_rate;         /* events per second of event time (Flink's first-event.rate) */
    int64_t  base_time_ms;       /* event time of event number 0 (epoch ms) */
    int      person_proportion;  /* persons per group of proportions (1) */
    int      auction_proportion; /* auctions per group (3) */
    int      bid_proportion;     /* bids per group (46) */
    int      avg_person_size;    /* bytes a person averages, extra included (200) */
    int      avg_auction_size;   /* an auction (500) */
    int      avg_bid_size;       /* a bid (100) */
    int      hot_auctions_ratio; /* 1 in this many bids is not for a hot auction (2) */
    int      hot_sellers_ratio;  /* 1 in this many auctions is not by a hot seller (4) */
    int      hot_bidders_ratio;  /* 1 in this many bids is not by a hot bidder (4) */
    int      num_active_people;  /* persons a cold seller or bidder is drawn from (1000) */
    int      num_in_flight_auctions; /* auctions a cold bid is drawn from (100) */
} nexmark_config;

/* The benchmark's defaults (those of the reference generator), seed 1,
** no end, 10,000 events per second of event time, from
** 2015-07-15T00:00:00Z. */
void nexmark_config_default(nexmark_config *c);

/* A string inside an event: bytes and length, no NUL. */
typedef struct nexmark_str {
    const char *p; /* first byte */
    int         n; /* length */
} nexmark_str;

/* What an event is; the numbers are the `event_type` column's. */
typedef enum nexmark_kind { NEXMARK_PERSON = 0, NEXMARK_AUCTION = 1, NEXMARK_BID = 2 } nexmark_kind;

typedef struct nexmark_person {
    int64_t     id;            /* 1000, 1001, ... in order of creation */
    nexmark_str name;          /* "First Last" */
    nexmark_str email_address; /* xxx@yyy.com */
    nexmark_str credit_card;   /* four groups of four digits */
    nexmark_str city;          /* one of 10 US cities */
    nexmark_str state;         /* one of 6 US states */
    int64_t     date_time;     /* event time, epoch ms */
    nexmark_str extra;         /* padding */
} nexmark_person;

typedef struct nexmark_auction {
    int64_t     id;          /* 1000, 1001, ... in order of creation */
    nexmark_str item_name;   /* random, up to 20 characters */
    nexmark_str description; /* random, up to 100 characters */
    int64_t     initial_bid; /* a price, cents */
    int64_t     reserve;     /* initial_bid + another price */
    int64_t     date_time;   /* event time, epoch ms */
    int64_t     expires;     /* date_time + the auction's length, epoch ms */
    int64_t     seller;      /* a person id */
    int64_t     category;    /* 10..14 */
    nexmark_str extra;       /* padding */
} nexmark_auction;

typedef struct nexmark_bid {
    int64_t     auction;   /* an auction id */
    int64_t     bidder;    /* a person id */
    int64_t     price;     /* cents */
    nexmark_str channel;   /* "Google", ..., or "channel-K" */
    nexmark_str url;       /* the channel's URL */
    int64_t     date_time; /* event time, epoch ms */
    nexmark_str extra;     /* padding */
} nexmark_bid;

/* One event: its kind says which of the three is filled in. */
typedef struct nexmark_event {
    nexmark_kind    kind;      /* which member is valid */
    int64_t         number;    /* event number, from 1 */
    int64_t         date_time; /* the event's time, epoch ms (its member's date_time) */
    nexmark_person  person;    /* kind NEXMARK_PERSON */
    nexmark_auction auction;   /* kind NEXMARK_AUCTION */
    nexmark_bid     bid;       /* kind NEXMARK_BID */
} nexmark_event;

typedef struct nexmark_gen nexmark_gen;

/* A generator for *config (copied).  NULL with the reason in err when a
** parameter is out of range (the message names it). */
nexmark_gen *nexmark_gen_new(const nexmark_config *config, char *err, size_t errlen);

/* The next event into *ev: 1, or 0 once config->events events were
** generated (ev untouched).  ev's strings stay valid until the next call. */
int nexmark_gen_next(nexmark_gen *g, nexmark_event *ev);

/* Events generated so far. */
int64_t nexmark_gen_count(const nexmark_gen *g);

/* NULL-safe. */
void nexmark_gen_free(nexmark_gen *g);

/* Bytes nexmark_event_json may need for any event of a generator with
** these sizes, NUL included. */
size_t nexmark_json_max(const nexmark_config *c);

/*
** ev as the JSON of Flink's nexmark Kafka topic: {"event_type":K,
** "person":{…}|null, "auction":{…}|null, "bid":{…}|null, "dateTime":T}
** with the reference's field names (emailAddress, creditCard, itemName,
** initialBid, dateTime, …) and times as Flink's JSON format writes a
** TIMESTAMP(3): "2015-07-15 00:00:00.000" (UTC).  Returns the length, or
** -1 if buf is too small (nexmark_json_max always suffices).  NUL-terminated.
*/
int nexmark_event_json(const nexmark_event *ev, char *buf, size_t cap);

#endif /* EDDY_NEXMARK_H */
