#!/usr/bin/python3
"""expect.py — what each Nexmark query must produce, computed in Python
from the events themselves, independently of eddy; and what a query did
produce, folded from its output topic.

  expect.py events BOOTSTRAP TOPIC OUT.json    read the event topic; write
      {"events": n, "qN": rows...}: for each query the rows of its final
      result (an append query: its records; an updating one: the rows of its
      final table).  Also checks that no partition lost records (the
      development broker keeps ~5 MiB per partition).
  expect.py output BOOTSTRAP TOPIC MODE        count the rows of the final
      table in an output topic: MODE append (records), upsert (keys whose
      last value is not a tombstone), retract (a multiset of values, the
      "op" header -U / -D taking one away) or sum:FIELD (an append topic:
      the sum of FIELD over its records).  Prints the count.

Runs under /usr/bin/python3 (Debian's confluent_kafka)."""
import collections
import datetime
import decimal
import json
import re
import sys

from confluent_kafka import Consumer, TopicPartition


def read_topic(bootstrap, topic):
    """Every record of topic, partition by partition: (key, value, headers)."""
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'nexmark-expect', 'enable.auto.commit': False,
                  'queued.min.messages': 1000000, 'fetch.wait.max.ms': 10})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions)
    ends, lost = {}, 0
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        lost += lo
        ends[p] = hi
    if lost:
        sys.exit(f'expect.py: topic {topic} lost {lost} records to the broker\'s retention: use more partitions')
    want = {p for p in parts if ends[p] > 0}
    c.assign([TopicPartition(topic, p, 0) for p in want])
    out = []
    while want:
        for m in c.consume(10000, 1.0):
            if m.error():
                continue
            out.append((m.key(), m.value(), m.headers()))
            if m.offset() + 1 >= ends[m.partition()]:
                want.discard(m.partition())
    c.close()
    return out


_days = {}


def ts(s):
    """Flink's JSON TIMESTAMP(3) text, 'yyyy-MM-dd HH:mm:ss.SSS', to epoch ms."""
    d = _days.get(s[:10])
    if d is None:
        d = _days[s[:10]] = (datetime.date.fromisoformat(s[:10]) - datetime.date(1970, 1, 1)).days
    return ((d * 24 + int(s[11:13])) * 60 + int(s[14:16])) * 60000 + int(s[17:19]) * 1000 + int(s[20:23])


def expectations(events):
    persons, auctions, bids = [], [], []
    for e in events:
        for kind in ('person', 'auction', 'bid'):
            if e.get(kind):
                e[kind].pop('extra', None)
        k = e['event_type']
        if k == 0:
            p = e['person']
            p['t'] = ts(p['dateTime'])
            persons.append(p)
        elif k == 1:
            a = e['auction']
            a['t'] = ts(a['dateTime'])
            a['x'] = ts(a['expires'])
            auctions.append(a)
        else:
            b = e['bid']
            b['t'] = ts(b['dateTime'])
            bids.append(b)
    ex = {'events': len(events), 'persons': len(persons), 'auctions': len(auctions), 'bids': len(bids)}
    nb = len(bids)
    ex['q0'] = ex['q1'] = ex['q10'] = ex['q22'] = ex['q13'] = nb
    ex['q2'] = sum(1 for b in bids if b['auction'] % 123 == 0)
    # q3: a regular join, so every matching pair whatever the order
    pstate = {p['id']: p for p in persons if p['state'] in ('OR', 'ID', 'CA')}
    ex['q3'] = sum(1 for a in auctions if a['category'] == 10 and a['seller'] in pstate)
    # q4 and q9: the bids of each auction made while it was open
    by_auction = collections.defaultdict(list)
    for b in bids:
        by_auction[b['auction']].append(b)
    cats, won = set(), 0
    for a in auctions:
        if any(a['t'] <= b['t'] <= a['x'] for b in by_auction.get(a['id'], ())):
            cats.add(a['category'])
            won += 1
    ex['q4'] = len(cats)
    ex['q9'] = won
    ex['q6'] = won  # one row per winner: its seller's average up to it
    # q5: HOP 10 s sliding by 2 s: per window, the auctions with the most bids
    per = collections.defaultdict(collections.Counter)
    for b in bids:
        start = (b['t'] // 2000) * 2000
        for s in range(start, b['t'] - 10000, -2000):
            per[s][b['auction']] += 1
    q5 = 0
    for c in per.values():
        top = max(c.values())
        q5 += sum(1 for n in c.values() if n == top)
    ex['q5'] = q5
    # q7: TUMBLE 10 s maximum price, joined back on price and [end - 10 s, end]
    top = {}
    for b in bids:
        w = b['t'] // 10000 * 10000
        top[w] = max(top.get(w, 0), b['price'])
    by_price = collections.defaultdict(list)
    for b in bids:
        by_price[b['price']].append(b['t'])
    ex['q7'] = sum(sum(1 for t in by_price[m] if w <= t <= w + 10000) for w, m in top.items())
    # q8: persons who open an auction in the 10 s window they registered in
    sellers = {(a['seller'], a['t'] // 10000) for a in auctions}
    ex['q8'] = len({(p['id'], p['name'], p['t'] // 10000) for p in persons if (p['id'], p['t'] // 10000) in sellers})
    # q11: sessions of 10 s gap per bidder
    times = collections.defaultdict(list)
    for b in bids:
        times[b['bidder']].append(b['t'])
    sessions = 0
    for ts_ in times.values():
        ts_.sort()
        sessions += 1 + sum(1 for x, y in zip(ts_, ts_[1:]) if y - x >= 10000)
    ex['q11'] = sessions
    ex['q12'] = nb  # the sum of bid_count, not a row count (processing time)
    lo, hi = decimal.Decimal(1000000), decimal.Decimal(50000000)
    r = decimal.Decimal('0.908')
    ex['q14'] = sum(1 for b in bids if lo < r * b['price'] < hi)
    day = lambda t: t // 86400000
    ex['q15'] = len({day(b['t']) for b in bids})
    ex['q16'] = len({(b['channel'], day(b['t'])) for b in bids})
    ex['q17'] = len({(b['auction'], day(b['t'])) for b in bids})
    ex['q18'] = len({(b['bidder'], b['auction']) for b in bids})
    ex['q19'] = sum(min(10, len(v)) for v in by_auction.values())
    cat10 = collections.Counter(a['id'] for a in auctions if a['category'] == 10)
    ex['q20'] = sum(cat10[b['auction']] for b in bids)
    rx = re.compile(r'(&|^)channel_id=([^&]*)')
    ex['q21'] = sum(1 for b in bids
                    if rx.search(b['url']) or b['channel'].lower() in ('apple', 'google', 'facebook', 'baidu'))
    return ex


def fold(records, mode):
    if mode.startswith('sum:'):   # an append topic: the sum of a field over its records
        return sum(json.loads(v)[mode[4:]] for _, v, _ in records)
    if mode == 'append':
        return len(records)
    if mode == 'upsert':
        table = {}
        for k, v, _ in records:
            if v is None:
                table.pop(k, None)
            else:
                table[k] = v
        return len(table)
    bag = collections.Counter()
    for k, v, h in records:
        op = dict(h or []).get('op', b'+I')
        bag[v] += -1 if op in (b'-U', b'-D') else 1
    if any(n < 0 for n in bag.values()):
        sys.exit('expect.py: a retraction of a row the table does not hold')
    return sum(bag.values())


def main():
    if len(sys.argv) == 5 and sys.argv[1] == 'events':
        events = [json.loads(v) for _, v, _ in read_topic(sys.argv[2], sys.argv[3])]
        with open(sys.argv[4], 'w') as f:
            json.dump(expectations(events), f, indent=1)
    elif len(sys.argv) == 5 and sys.argv[1] == 'output':
        print(fold(read_topic(sys.argv[2], sys.argv[3]), sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
