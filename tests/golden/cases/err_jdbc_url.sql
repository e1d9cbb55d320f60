-- Only PostgreSQL behind the jdbc connector.
CREATE TABLE m (a INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://127.0.0.1:3306/shop');
