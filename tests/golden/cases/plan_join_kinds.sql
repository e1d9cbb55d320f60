-- pins: an inner join of append tables appends; RIGHT and FULL joins retract; a residual condition; the comma form's WHERE equality becomes the key; USING; output names of equal columns get numbers
CREATE TABLE clicks (user_id BIGINT, page STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
CREATE TABLE views (user_id INT, ad STRING);
SELECT c.page, v.ad, c.ts FROM clicks c JOIN views v ON c.user_id = v.user_id AND c.page <> v.ad;
SELECT * FROM clicks c RIGHT JOIN views v ON c.user_id = v.user_id;
SELECT user_id, page, ad FROM clicks FULL OUTER JOIN views USING (user_id);
SELECT page FROM clicks, views WHERE clicks.user_id = views.user_id + 1 AND page LIKE 'a%';
