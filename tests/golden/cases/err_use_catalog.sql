-- pins: USE (catalogs and databases) is refused by name
USE CATALOG my_catalog;
