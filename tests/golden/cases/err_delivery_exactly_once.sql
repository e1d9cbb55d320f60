-- pins: sink.delivery-guarantee 'exactly-once' is refused by name, with the reason
CREATE TABLE t (x INT) WITH ('sink.delivery-guarantee' = 'exactly-once');
