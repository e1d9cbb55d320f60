-- pins: SELECT * keeps declaration order, computed columns included (INSERT is positional)
CREATE TABLE src (a INT, b AS a * 2, c STRING, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp');
CREATE TABLE dst (a INT, b INT, c STRING, ts TIMESTAMP_LTZ(3)) WITH ('changelog.mode' = 'append');
INSERT INTO dst SELECT * FROM src;
