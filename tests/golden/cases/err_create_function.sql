-- pins: CREATE FUNCTION is refused by name
CREATE FUNCTION f AS 'com.example.F';
