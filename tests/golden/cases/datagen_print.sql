-- A datagen source (bounded by number-of-rows and a sequence) into a print sink and a blackhole: no topics, no formats.
CREATE TABLE gen (id BIGINT, name STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'rows-per-second' = '100', 'number-of-rows' = '50', 'seed' = '9',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000', 'fields.ts.max-past' = '5 s');
CREATE TABLE shown (id BIGINT, name STRING) WITH ('connector' = 'print', 'print-identifier' = 'left');
CREATE TABLE gone (n BIGINT) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
INSERT INTO shown SELECT id, name FROM gen WHERE id > 10;
INSERT INTO gone SELECT COUNT(*) FROM gen;
END;
