/*
 * test_nexmark_gen.c — the Nexmark generator (src/connect/nexmark.c) keeps
 * the benchmark's model: kinds in the 1 : 3 : 46 proportion in their fixed
 * order, ids from 1000 in creation order, bids and auctions referring only
 * to persons and auctions that exist or are at most 10 ahead, event time
 * from the rate, prices and categories in range, average sizes; the same
 * seed gives the same events and another seed others; the JSON is Flink's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexmark.h"

#define N 100000

static void test_model(void **st)
{
    (void)st;
    nexmark_config c;
    nexmark_config_default(&c);
    c.events = N;
    c.event_rate = 1000; /* 1 ms per event */
    char err[200];
    nexmark_gen *g = nexmark_gen_new(&c, err, sizeof err);
    assert_non_null(g);
    nexmark_event ev;
    int64_t kinds[3] = {0}, next_person = 1001, next_auction = 1001;
    int64_t bytes[3] = {0}, hot_auction_bids = 0;
    int64_t n = 0;
    while (nexmark_gen_next(g, &ev)) {
        n++;
        assert_int_equal(ev.number, n);
        /* event id n + 1: its remainder mod 50 is the kind */
        int64_t rem = (n + 1) % 50;
        assert_int_equal(ev.kind, rem < 1 ? NEXMARK_PERSON : rem < 4 ? NEXMARK_AUCTION : NEXMARK_BID);
        assert_int_equal(ev.date_time, c.base_time_ms + n);   /* 1 ms apart at 1000/s */
        kinds[ev.kind]++;
        switch (ev.kind) {
        case NEXMARK_PERSON:
            assert_int_equal(ev.person.id, next_person++);
            assert_int_equal(ev.person.date_time, ev.date_time);
            assert_int_equal(ev.person.credit_card.n, 19);
            bytes[0] += 8 + ev.person.name.n + ev.person.email_address.n + ev.person.credit_card.n + ev.person.city.n +
                        ev.person.state.n + ev.person.extra.n;
            break;
        case NEXMARK_AUCTION:
            assert_int_equal(ev.auction.id, next_auction++);
            assert_true(ev.auction.seller >= 1000 && ev.auction.seller < next_person + 10);
            assert_true(ev.auction.category >= 10 && ev.auction.category <= 14);
            assert_true(ev.auction.expires > ev.auction.date_time);
            assert_true(ev.auction.reserve >= ev.auction.initial_bid);
            assert_true(ev.auction.initial_bid >= 100 && ev.auction.initial_bid <= 100000000);
            bytes[1] += 8 + ev.auction.item_name.n + ev.auction.description.n + 40 + ev.auction.extra.n;
            break;
        case NEXMARK_BID:
            assert_true(ev.bid.auction >= 1000 && ev.bid.auction < next_auction + 10);
            assert_true(ev.bid.bidder >= 1000 && ev.bid.bidder < next_person + 10);
            assert_true(ev.bid.price >= 100 && ev.bid.price <= 100000000);
            assert_true(ev.bid.url.n > 24 && memcmp(ev.bid.url.p, "https://www.nexmark.com/", 24) == 0);
            hot_auction_bids += ev.bid.auction % 100 == 0;
            bytes[2] += 32 + ev.bid.extra.n;
            break;
        }
    }
    assert_int_equal(n, N);
    assert_int_equal(nexmark_gen_count(g), N);
    assert_int_equal(nexmark_gen_next(g, &ev), 0);
    /* 1 : 3 : 46 */
    assert_int_equal(kinds[0], N / 50);
    assert_int_equal(kinds[1], 3 * N / 50);
    assert_int_equal(kinds[2], 46 * N / 50);
    /* the average sizes, within 2 % */
    double avg[3] = {(double)bytes[0] / kinds[0], (double)bytes[1] / kinds[1], (double)bytes[2] / kinds[2]};
    assert_true(avg[0] > 196 && avg[0] < 204);
    assert_true(avg[1] > 490 && avg[1] < 510);
    assert_true(avg[2] > 98 && avg[2] < 102);
    /* about half the bids are for a hot auction (hot ratio 2), plus the cold ones that hit a multiple of 100 */
    assert_true(hot_auction_bids > kinds[2] * 45 / 100 && hot_auction_bids < kinds[2] * 56 / 100);
    nexmark_gen_free(g);
}

/* The JSON of n events of seed s, concatenated. */
static char *events_json(uint64_t seed, int n)
{
    nexmark_config c;
    nexmark_config_default(&c);
    c.seed = seed;
    c.events = n;
    nexmark_gen *g = nexmark_gen_new(&c, NULL, 0);
    size_t cap = nexmark_json_max(&c), used = 0;
    char *out = malloc(cap * (size_t)n + 1);
    nexmark_event ev;
    while (nexmark_gen_next(g, &ev)) {
        int len = nexmark_event_json(&ev, out + used, cap);
        assert_true(len > 0);
        used += (size_t)len;
    }
    out[used] = '\0';
    nexmark_gen_free(g);
    return out;
}

static void test_seeded(void **st)
{
    (void)st;
    char *a = events_json(42, 500), *b = events_json(42, 500), *c = events_json(43, 500);
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0);
    free(a);
    free(b);
    free(c);
}

static void test_json(void **st)
{
    (void)st;
    nexmark_config c;
    nexmark_config_default(&c);
    nexmark_gen *g = nexmark_gen_new(&c, NULL, 0);
    nexmark_event ev;
    char buf[2048];
    /* event 1 (id 2) is an auction, event 49 (id 50) the first person, event 3 a bid */
    assert_true(nexmark_gen_next(g, &ev));
    assert_int_equal(nexmark_event_json(&ev, buf, sizeof buf) > 0, 1);
    assert_non_null(strstr(buf, "{\"event_type\":1,\"person\":null,\"auction\":{\"id\":1001,\"itemName\":\""));
    assert_non_null(strstr(buf, "\"dateTime\":\"2015-07-15 00:00:00.000\""));
    assert_non_null(strstr(buf, "},\"bid\":null,\"dateTime\":\"2015-07-15 00:00:00.000\"}"));
    assert_true(nexmark_gen_next(g, &ev));
    assert_true(nexmark_gen_next(g, &ev));
    assert_int_equal(ev.kind, NEXMARK_BID);
    assert_int_equal(nexmark_event_json(&ev, buf, sizeof buf) > 0, 1);
    assert_non_null(strstr(buf, "{\"event_type\":2,\"person\":null,\"auction\":null,\"bid\":{\"auction\":"));
    for (int i = 3; i < 49; i++) assert_true(nexmark_gen_next(g, &ev));
    assert_int_equal(ev.kind, NEXMARK_PERSON);
    assert_int_equal(ev.person.id, 1001);
    assert_int_equal(nexmark_event_json(&ev, buf, sizeof buf) > 0, 1);
    assert_non_null(strstr(buf, "{\"event_type\":0,\"person\":{\"id\":1001,\"name\":\""));
    /* 10,000 events/s: event 49 is 4.9 ms in, truncated */
    assert_non_null(strstr(buf, "\"dateTime\":\"2015-07-15 00:00:00.004\""));
    /* too small a buffer is refused, not overrun */
    assert_int_equal(nexmark_event_json(&ev, buf, 40), -1);
    nexmark_gen_free(g);
}

static void test_bad_config(void **st)
{
    (void)st;
    nexmark_config c;
    char err[200];
    nexmark_config_default(&c);
    c.event_rate = 0;
    assert_null(nexmark_gen_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "event rate"));
    nexmark_config_default(&c);
    c.bid_proportion = 0;
    assert_null(nexmark_gen_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "proportions"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_seeded),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
