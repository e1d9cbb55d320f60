-- pins: TIMESTAMPADD's count must be an integer, caret on it
CREATE TABLE ev (ts TIMESTAMP(3), s STRING);
SELECT TIMESTAMPADD(DAY, s, ts) FROM ev;
