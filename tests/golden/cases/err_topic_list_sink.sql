-- pins: a table with a topic list cannot be written (a sink writes one topic)
CREATE TABLE src (x INT);
CREATE TABLE both_topics (x INT) WITH ('topic' = 'a;b');
INSERT INTO both_topics SELECT x FROM src;
