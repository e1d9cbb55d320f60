"""e2e/functions — REGEXP_EXTRACT and DATE_FORMAT on every record of a
Kafka topic, end to end.

Click events {id, url, ts} with Kafka record timestamps go into topic
`clicks` (2 partitions); a bounded job with the session zone Asia/Tokyo

    SELECT id, REGEXP_EXTRACT(url, '[?&]utm_source=([^&#]+)', 1) AS channel,
           DATE_FORMAT(ts, 'yyyy-MM-dd') AS day,
           DATE_FORMAT(rt, 'yyyy-MM-dd HH:mm') AS local_minute
    FROM clicks

writes them to `channels`.  Some URLs have no utm_source (NULL channel),
some records no ts (NULL day), one has a malformed percent-encoding and
non-ASCII text (still just text to the regex).  The expected rows are
computed here with Python's re and datetime.
"""
import datetime
import json
import re

from eddyharness import Broker, Rec, check, main, produce, read_topic, step
from eddytest import run_job

SQL = """
SET 'table.local-time-zone' = 'Asia/Tokyo';
CREATE TABLE clicks (
  id  BIGINT,
  url STRING,
  ts  TIMESTAMP(3),
  rt  TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
);
CREATE TABLE channels (id BIGINT, channel STRING, `day` STRING, local_minute STRING);

INSERT INTO channels
SELECT id, REGEXP_EXTRACT(url, '[?&]utm_source=([^&#]+)', 1) AS channel,
       DATE_FORMAT(ts, 'yyyy-MM-dd') AS `day`,
       DATE_FORMAT(rt, 'yyyy-MM-dd HH:mm') AS local_minute
FROM clicks;
"""

URLS = [
    "https://shop.example/p/1?utm_source=news&utm_medium=mail",
    "https://shop.example/?a=1&utm_source=ads#top",
    "https://shop.example/cart",
    "https://shop.example/?utm_source=%E6%97%A5&x",
    "https://shop.example/?xutm_source=fake",
    "https://shop.example/ünïcödé?utm_source=café",
]
BASE_MS = 1717200000000   # 2024-06-01T00:00:00Z
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def make_records(n):
    recs = []
    for i in range(n):
        ms = BASE_MS + i * 3_700_000   # an hour and a bit apart: crosses days in Tokyo
        ts = datetime.datetime(2024, 1, 1) + datetime.timedelta(hours=7 * i, milliseconds=i)
        value = {"id": i, "url": URLS[i % len(URLS)]}
        if i % 5 != 4:
            value["ts"] = ts.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ts.microsecond // 1000)
        recs.append(Rec({"id": i}, value, partition=i % 2, timestamp=ms))
    return recs


def expected(recs):
    out = {}
    for r in recs:
        v = r.value
        m = re.search(r"[?&]utm_source=([^&#]+)", v["url"])
        day = v["ts"][:10] if "ts" in v else None
        local = datetime.datetime.fromtimestamp(r.timestamp / 1000, TOKYO).strftime("%Y-%m-%d %H:%M")
        out[v["id"]] = {"id": v["id"], "channel": m.group(1) if m else None, "day": day, "local_minute": local}
    return out


def test(eddy, workdir):
    recs = make_records(60)
    with Broker(eddy, workdir, {"clicks": 2, "channels": 1}) as b:
        produce(b.bootstrap, "clicks", recs)
        run_job(eddy, b.bootstrap, SQL, workdir, name="functions")
        got = [json.loads(m.value) for m in read_topic(b.bootstrap, "channels")]
        check(len(got) == len(recs), "channels holds %d rows, expected %d" % (len(got), len(recs)))
        want = expected(recs)
        for row in got:
            exp = want.get(row["id"])
            check(row == exp, "row %r, expected %r" % (row, exp))
        step("REGEXP_EXTRACT and DATE_FORMAT (TIMESTAMP and TIMESTAMP_LTZ in Asia/Tokyo) on %d records: as computed" % len(got))


if __name__ == "__main__":
    main(test)
