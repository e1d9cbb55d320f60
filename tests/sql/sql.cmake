# sql.cmake — registers every tests/sql/*.test file as a ctest test
# `sql/<name>` that runs `eddy test <file>` (in memory, no broker).
# known_bugs.test is left out on purpose: it holds cases where eddy is known
# to be wrong, with the correct expectations; run it by hand.  Included from
# tests/CMakeLists.txt.  CONFIGURE_DEPENDS: a new file appears on the next
# build, no re-run of cmake needed.  To rewrite expectations after reviewing
# a change: build/eddy test --update tests/sql/<name>.test
file(GLOB EDDY_SQL_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.test)
list(SORT EDDY_SQL_TESTS)
foreach(test_file ${EDDY_SQL_TESTS})
  get_filename_component(test_name ${test_file} NAME_WLE)
  if(test_name STREQUAL "known_bugs")
    continue()
  endif()
  add_test(NAME sql/${test_name} COMMAND $<TARGET_FILE:eddy> test ${test_file})
  set_tests_properties(sql/${test_name} PROPERTIES LABELS sql)
endforeach()

# A sample of the same files over Kafka (eddy test --broker): an in-process
# broker per case and the real connectors; each sink's final table must
# equal the in-memory run's.  connectors_builtin and nexmark_connector have
# tables that are no Kafka topics: their cases run in memory only (they
# used to run over the broker until the timeout).
add_test(NAME sql/broker_sample
  COMMAND $<TARGET_FILE:eddy> test --broker
          ${CMAKE_CURRENT_LIST_DIR}/aggregates.test ${CMAKE_CURRENT_LIST_DIR}/upsert_source.test
          ${CMAKE_CURRENT_LIST_DIR}/sinks.test ${CMAKE_CURRENT_LIST_DIR}/having.test ${CMAKE_CURRENT_LIST_DIR}/union.test
          ${CMAKE_CURRENT_LIST_DIR}/time_zone.test ${CMAKE_CURRENT_LIST_DIR}/watermarks.test
          ${CMAKE_CURRENT_LIST_DIR}/windows.test ${CMAKE_CURRENT_LIST_DIR}/aggregates_more.test ${CMAKE_CURRENT_LIST_DIR}/nested.test
          ${CMAKE_CURRENT_LIST_DIR}/nested_avro.test
          ${CMAKE_CURRENT_LIST_DIR}/flink_changelog.test ${CMAKE_CURRENT_LIST_DIR}/over.test
          ${CMAKE_CURRENT_LIST_DIR}/connectors_builtin.test ${CMAKE_CURRENT_LIST_DIR}/nexmark_connector.test)
set_tests_properties(sql/broker_sample PROPERTIES LABELS sql TIMEOUT 300)

# Malformed test files: errors with file:line, never a crash.
add_test(NAME sql/testfile_errors COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/testfile_errors.sh $<TARGET_FILE:eddy>)
set_tests_properties(sql/testfile_errors PROPERTIES LABELS sql)

# The same files with every plan cut into stages (eddy test --parallelism N,
# docs/scaling.md): aggregates, GROUP BY, windows, joins, Top-N, dedup and
# OVER run as N tasks per stage joined by exchanges in memory; each case's
# results must be those of one task (a changelog may interleave keys
# differently: then its final table must be the same).
foreach(n 2 3)
  add_test(NAME sql/parallel_${n}
    COMMAND $<TARGET_FILE:eddy> test --parallelism ${n}
            ${CMAKE_CURRENT_LIST_DIR}/aggregates.test ${CMAKE_CURRENT_LIST_DIR}/aggregates_more.test
            ${CMAKE_CURRENT_LIST_DIR}/groupby.test ${CMAKE_CURRENT_LIST_DIR}/having.test
            ${CMAKE_CURRENT_LIST_DIR}/windows.test ${CMAKE_CURRENT_LIST_DIR}/watermarks.test
            ${CMAKE_CURRENT_LIST_DIR}/joins.test ${CMAKE_CURRENT_LIST_DIR}/semi_joins.test
            ${CMAKE_CURRENT_LIST_DIR}/interval_joins.test ${CMAKE_CURRENT_LIST_DIR}/temporal_joins.test
            ${CMAKE_CURRENT_LIST_DIR}/window_joins.test ${CMAKE_CURRENT_LIST_DIR}/topn.test
            ${CMAKE_CURRENT_LIST_DIR}/window_topn.test ${CMAKE_CURRENT_LIST_DIR}/over.test
            ${CMAKE_CURRENT_LIST_DIR}/upsert_source.test ${CMAKE_CURRENT_LIST_DIR}/union.test
            ${CMAKE_CURRENT_LIST_DIR}/flink_changelog.test ${CMAKE_CURRENT_LIST_DIR}/sinks.test)
  set_tests_properties(sql/parallel_${n} PROPERTIES LABELS sql TIMEOUT 300)
endforeach()
