-- pins: a topic-pattern that is not a regular expression names the option and PCRE2's reason
CREATE TABLE t (x INT) WITH ('topic-pattern' = 'events.(a');
