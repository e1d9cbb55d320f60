-- pins: a user function in another language than C is refused at the language's name
CREATE TEMPORARY FUNCTION count_char AS 'com.example.CountChar' LANGUAGE JAVA;
