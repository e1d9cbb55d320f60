-- pins: a constant regular expression that does not compile is a compile error with the caret on the pattern
CREATE TABLE clicks (url STRING);
SELECT REGEXP_EXTRACT(url,
                      'utm_source=([^&]+', 1) AS source FROM clicks;
