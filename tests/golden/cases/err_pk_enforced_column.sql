-- pins: PRIMARY KEY without NOT ENFORCED (column constraint form); caret on PRIMARY
CREATE TABLE t (region STRING PRIMARY KEY, n BIGINT);
