-- q13: bounded side input join.  Every bid joined with a static table of
-- 10,000 rows (key, value) on MOD(auction, 10000) = key, looked up as of
-- the bid's processing time.  The benchmark reads the side input from a
-- file; eddy's nearest equivalent is a lookup join against a PostgreSQL
-- table (`side_input`, keys 0..9999, its rows cached in memory as Flink's
-- file lookup caches the file).  run.sh starts a throw-away PostgreSQL,
-- fills the table and points the url below at it.

-- ---- shared prelude: a copy of bench/nexmark/ddl.sql (a test checks the copies) ----
-- The Nexmark source, as Flink's nexmark Kafka mode declares it: one topic
-- of JSON events, event_type 0 (person), 1 (auction) or 2 (bid) saying
-- which of the nested rows is set, event time computed from it, a
-- watermark 4 s behind; and the three views every query reads.
-- (`eddy gen nexmark` produces the topic; bench/nexmark/run.sh runs all.)
CREATE TABLE nexmark (
    event_type INT,
    person ROW<
        id BIGINT,
        name VARCHAR,
        emailAddress VARCHAR,
        creditCard VARCHAR,
        city VARCHAR,
        state VARCHAR,
        `dateTime` TIMESTAMP(3),
        extra VARCHAR>,
    auction ROW<
        id BIGINT,
        itemName VARCHAR,
        description VARCHAR,
        initialBid BIGINT,
        reserve BIGINT,
        `dateTime` TIMESTAMP(3),
        expires TIMESTAMP(3),
        seller BIGINT,
        category BIGINT,
        extra VARCHAR>,
    bid ROW<
        auction BIGINT,
        bidder BIGINT,
        price BIGINT,
        channel VARCHAR,
        url VARCHAR,
        `dateTime` TIMESTAMP(3),
        extra VARCHAR>,
    `dateTime` AS
        CASE
            WHEN event_type = 0 THEN person.`dateTime`
            WHEN event_type = 1 THEN auction.`dateTime`
            ELSE bid.`dateTime`
        END,
    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH (
    'connector' = 'kafka',
    'topic' = 'nexmark',
    'scan.startup.mode' = 'earliest-offset',
    'format' = 'json'
);

CREATE VIEW person AS
SELECT person.id, person.name, person.emailAddress, person.creditCard,
       person.city, person.state, `dateTime`, person.extra
FROM nexmark WHERE event_type = 0;

CREATE VIEW auction AS
SELECT auction.id, auction.itemName, auction.description, auction.initialBid,
       auction.reserve, `dateTime`, auction.expires, auction.seller,
       auction.category, auction.extra
FROM nexmark WHERE event_type = 1;

CREATE VIEW bid AS
SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url,
       `dateTime`, bid.extra
FROM nexmark WHERE event_type = 2;
-- ---- end of the prelude ----

CREATE TABLE side_input (
    key BIGINT PRIMARY KEY NOT ENFORCED,
    `value` VARCHAR
) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1:5432/nexmark', 'table-name' = 'side_input',
        'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '10000');

CREATE TABLE nexmark_q13 (
    auction BIGINT,
    bidder BIGINT,
    price BIGINT,
    `dateTime` TIMESTAMP(3),
    `value` VARCHAR
) WITH ('connector' = 'kafka', 'topic' = 'nexmark_q13', 'format' = 'json');

INSERT INTO nexmark_q13
SELECT B.auction, B.bidder, B.price, B.`dateTime`, S.`value`
FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
ON MOD(B.auction, 10000) = S.key;
