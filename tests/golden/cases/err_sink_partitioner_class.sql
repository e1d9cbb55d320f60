-- pins: sink.partitioner with a Java class name (Flink's custom partitioner) is refused, naming the values
CREATE TABLE t (x INT) WITH ('sink.partitioner' = 'com.example.MyPartitioner');
