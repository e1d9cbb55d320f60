-- pins: key.fields-prefix needs value.fields-include 'EXCEPT_KEY' (Flink's rule)
CREATE TABLE t (k_id INT, v INT, PRIMARY KEY (k_id) NOT ENFORCED) WITH ('key.fields-prefix' = 'k_');
