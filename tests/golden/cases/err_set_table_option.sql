-- pins: a table option used in SET says where it belongs
SET 'scan.startup.mode' = 'latest-offset';
