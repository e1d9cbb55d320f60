-- pins: every key column must start with key.fields-prefix
CREATE TABLE t (id INT, v INT, PRIMARY KEY (id) NOT ENFORCED) WITH ('key.fields-prefix' = 'k_', 'value.fields-include' = 'EXCEPT_KEY');
