-- eddy state file corpus: eddy 651094f (format 1, fingerprints with whole source descriptions)
-- job: tests/e2e/test_state_compat.py script(), bounded over orders(0, 200), order i in partition i % 2
-- table: {"apac": 50, "eu": 50, "latam": 50, "us": 50}
BEGIN TRANSACTION;
CREATE TABLE eddy_log(seq INTEGER PRIMARY KEY, op INTEGER, key BLOB, value BLOB, key_text TEXT, value_text TEXT);
INSERT INTO "eddy_log" VALUES(1,0,X'00026575',X'64','{"region":"eu"}','{"rows":50,"n":50}');
INSERT INTO "eddy_log" VALUES(2,0,X'000461706163',X'64','{"region":"apac"}','{"rows":50,"n":50}');
INSERT INTO "eddy_log" VALUES(3,0,X'00056C6174616D',X'64','{"region":"latam"}','{"rows":50,"n":50}');
INSERT INTO "eddy_log" VALUES(4,0,X'00027573',X'64','{"region":"us"}','{"rows":50,"n":50}');
CREATE TABLE eddy_meta(key TEXT PRIMARY KEY, value TEXT);
INSERT INTO "eddy_meta" VALUES('format','1');
INSERT INTO "eddy_meta" VALUES('source_topic','st_orders');
INSERT INTO "eddy_meta" VALUES('job','st_sum');
INSERT INTO "eddy_meta" VALUES('checkpoint','1');
INSERT INTO "eddy_meta" VALUES('checkpoint_time','1796225377');
CREATE TABLE eddy_offsets(topic TEXT, partition INTEGER, next_offset INTEGER, PRIMARY KEY(topic, partition));
INSERT INTO "eddy_offsets" VALUES('st_orders',0,100);
INSERT INTO "eddy_offsets" VALUES('st_orders',1,100);
CREATE TABLE eddy_operators(op INTEGER PRIMARY KEY, kind TEXT, fingerprint TEXT, description TEXT);
INSERT INTO "eddy_operators" VALUES(0,'GroupAggregate','GroupAggregate/2 keys=STRING; retract=0 aggs=COUNT(*); input=Calc(select=[region]) <- KafkaSource(table=[st_orders], topic=[st_orders], format=[json], startup=[earliest-offset], fields=[order_id, user_id, amount, region])','GroupAggregate(groupBy=[region], aggs=[COUNT(*) AS n])');
CREATE TABLE eddy_state(op INTEGER, key BLOB, value BLOB, key_text TEXT, value_text TEXT, PRIMARY KEY(op, key)) WITHOUT ROWID;
CREATE VIEW eddy_current AS SELECT op, key, value, key_text, value_text FROM ( SELECT *, row_number() OVER (PARTITION BY op, key ORDER BY src DESC, seq DESC) AS rn FROM (  SELECT op, key, value, key_text, value_text, 0 AS src, 0 AS seq FROM eddy_state  UNION ALL SELECT op, key, value, key_text, value_text, 1, seq FROM eddy_log)) WHERE rn = 1 AND value IS NOT NULL;
COMMIT;
