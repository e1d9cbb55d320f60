-- pins: CREATE FUNCTION names the library it cannot open, at the AS text
CREATE FUNCTION count_char AS 'no/such/libcount.so:count_char' LANGUAGE C;
