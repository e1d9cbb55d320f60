-- pins: a group key written to two sink columns matches the sink's primary key on either
CREATE TABLE src (s STRING, v INT);
CREATE TABLE u (a STRING, b STRING PRIMARY KEY NOT ENFORCED, n BIGINT);
INSERT INTO u (a, b, n) SELECT s, s, COUNT(*) FROM src GROUP BY s;
