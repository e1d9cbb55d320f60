-- 'sink.buffer-flush.max-rows' is at least 1.
CREATE TABLE p (a INT) WITH ('connector' = 'jdbc', 'url' = 'host=x', 'sink.buffer-flush.max-rows' = '0');
