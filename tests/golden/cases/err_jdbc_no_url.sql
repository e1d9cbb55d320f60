-- A jdbc table needs its database.
CREATE TABLE n (a INT) WITH ('connector' = 'jdbc', 'table-name' = 'n');
