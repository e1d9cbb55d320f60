-- pins: VALUES as a table (types unified per column, AS t(a, b)), INSERT … VALUES, SELECT without FROM
CREATE TABLE labels (id INT, label STRING, price DECIMAL(5, 2));
SELECT 1 + 1, 'x', NOW() IS NOT NULL;
SELECT k, SUM(v) FROM (VALUES ('a', 1), ('b', 2.5)) AS t(k, v) GROUP BY k;
INSERT INTO labels VALUES (1, 'one', 1.5), (2, 'two', 10);
