# End-to-end tests: each script starts its own `eddy broker` on a free
# loopback port, produces records with Python's confluent_kafka, runs
# `eddy run --bounded 1` (or an unbounded job stopped with SIGTERM) on SQL it
# writes, reads the sink topics back to their ends and compares them with
# results computed in Python from the records it produced.
# Needs /usr/bin/python3 with python3-confluent-kafka (Debian).
foreach(name reference having upsert_agg where_nulls sink_modes malformed)
  add_test(NAME e2e/${name}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_${name}.py $<TARGET_FILE:eddy>)
  set_tests_properties(e2e/${name} PROPERTIES
                       TIMEOUT 120
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endforeach()
