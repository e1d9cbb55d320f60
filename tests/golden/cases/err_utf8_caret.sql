-- pins: an error on a line with multi-byte UTF-8 before it: line and caret count characters, not bytes (Grüße)
CREATE TABLE `straße` (`größe` INT, name STRING);
SELECT `größe`, 'héllo wörld' AS `grüß`, `nöpe` FROM `straße`;
