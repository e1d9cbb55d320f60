-- pins: an upsert source (PRIMARY KEY) is normalised (ChangelogNormalize, retract) before MIN/MAX/COUNT, which must retract what updates replace
CREATE TABLE users (
  user_id BIGINT,
  region STRING,
  score INT,
  PRIMARY KEY (user_id) NOT ENFORCED
);

CREATE TABLE region_scores (
  region STRING PRIMARY KEY NOT ENFORCED,
  lowest INT,
  highest INT,
  users BIGINT
);

INSERT INTO region_scores
SELECT region, MIN(score) AS lowest, MAX(score) AS highest, COUNT(*) AS users
FROM users
GROUP BY region;
