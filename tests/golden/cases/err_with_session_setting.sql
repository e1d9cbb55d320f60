-- pins: a session setting used in WITH says where it belongs
CREATE TABLE t (x INT) WITH ('pipeline.name' = 'job');
