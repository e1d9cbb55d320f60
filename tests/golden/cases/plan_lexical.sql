-- pins: keywords in any case, -- and /* */ comments, `backtick` identifiers (with `` inside, reserved words, spaces), unquoted columns named key/time/metadata, '' in strings
create TABLE `Events` (
  key STRING,            -- KEY is a keyword only inside PRIMARY KEY
  time TIMESTAMP(3),     /* a block comment
                            spanning two lines */
  `value` DOUBLE,
  `odd``name` INT,
  `select` STRING,
  metadata STRING
) wItH ('topic' = 'ev''s');

SeLeCt key, `time`, `odd``name` AS `weird alias`, `select`, metadata
FrOm `Events`
wHeRe key = 'it''s' /* inline */ AnD `value` > 0
  -- a comment before the end
;
