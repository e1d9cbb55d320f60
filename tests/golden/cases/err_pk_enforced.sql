-- pins: PRIMARY KEY without NOT ENFORCED (table constraint form)
CREATE TABLE t (region STRING, n BIGINT, PRIMARY KEY (region));
