-- pins: CURRENT_WATERMARK of a column that is not a rowtime attribute (the table has no WATERMARK); caret on the argument
CREATE TABLE clicks (user_id BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp');
SELECT user_id, CURRENT_WATERMARK(ts) FROM clicks;
