-- pins: JSON_VALUE's DEFAULT must fit its RETURNING type, caret on the default
CREATE TABLE ev (doc STRING);
SELECT JSON_VALUE(doc, '$.n' RETURNING INT DEFAULT 'none' ON EMPTY) FROM ev;
