-- pins: sink.delivery-guarantee takes at-least-once, exactly-once or none
CREATE TABLE t (x INT) WITH ('sink.delivery-guarantee' = 'at-most-once');
