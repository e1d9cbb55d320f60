-- pins: DATE_FORMAT of a number is a type error naming the argument, caret on it
CREATE TABLE ev (n BIGINT, ts TIMESTAMP(3));
SELECT DATE_FORMAT(n, 'yyyy-MM-dd') FROM ev;
