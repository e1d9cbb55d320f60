# The jdbc connector against a real PostgreSQL server (tests/pg/test_pg.py):
# each test starts `eddy broker` and a throw-away cluster (pgfixture.py:
# initdb in a temporary directory, a free loopback port, as the `postgres`
# user when run as root), and stops and removes it at the end.
set(EDDY_PG_TESTS demo debezium_avro scan scan_resume scan_restart lookup debezium upsert append deletes types nested mismatch restart down ahead kill_append kill_upsert)
foreach(t ${EDDY_PG_TESTS})
  add_test(NAME pg/${t} COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_pg.py $<TARGET_FILE:eddy> ${t})
  set_tests_properties(pg/${t} PROPERTIES TIMEOUT 120 LABELS "pg;kafka"
    ENVIRONMENT "PYTHONPATH=${EDDY_TEST_LIB}:${CMAKE_CURRENT_LIST_DIR};PYTHONDONTWRITEBYTECODE=1")
endforeach()
# They kill processes (eddy, PostgreSQL) and time restarts: alone.
set_tests_properties(pg/scan_resume pg/scan_restart pg/restart pg/down pg/ahead pg/kill_append pg/kill_upsert PROPERTIES RUN_SERIAL TRUE)
# The scans read tables of up to 200k rows, the demo runs 12 s: more room under the sanitizers on a loaded machine.
set_tests_properties(pg/scan pg/scan_resume pg/scan_restart pg/demo pg/debezium_avro pg/lookup PROPERTIES TIMEOUT 240)
