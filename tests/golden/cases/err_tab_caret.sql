-- pins: an error deep in a script (line 7) on a line indented with tabs: the caret line keeps the tabs
CREATE TABLE orders (order_id BIGINT, amount DOUBLE, region STRING);

SELECT
	order_id,
		region,
			discount
FROM orders;
