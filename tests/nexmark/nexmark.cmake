# nexmark/nexmark.cmake — the Nexmark benchmark's pieces (bench/nexmark/):
#   nexmark/generator  cmocka tests of the event generator (src/connect/nexmark.c)
#   nexmark/queries    the query files keep the shared prelude and match the
#                      cases of tests/sql/nexmark.test (check_sql.py)
#   nexmark/broker     tests/sql/nexmark.test over Kafka (eddy test --broker)
#   nexmark/smoke      bench/nexmark/run.sh 10000 for q0, q1, q5, q6 and q12:
#                      `eddy gen nexmark` into `eddy broker`, each query run
#                      bounded over it, its output checked against Python's
#                      count over the same events (fails if any differs;
#                      q12 by a continuous run that waits for its
#                      processing-time windows, up to ~10 s)
# Included from tests/CMakeLists.txt.
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)
if(CMOCKA_INCLUDE_DIR AND CMOCKA_LIBRARY)
  add_executable(nexmark_generator ${CMAKE_CURRENT_LIST_DIR}/test_nexmark_gen.c)
  target_include_directories(nexmark_generator PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(nexmark_generator PRIVATE eddy_runtime ${CMOCKA_LIBRARY} m)
  add_test(NAME nexmark/generator COMMAND nexmark_generator)
  set_tests_properties(nexmark/generator PROPERTIES
    LABELS runtime
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    TIMEOUT 120)
endif()

add_test(NAME nexmark/queries
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/check_sql.py
          ${CMAKE_SOURCE_DIR}/bench/nexmark ${CMAKE_SOURCE_DIR}/tests/sql/nexmark.test ${CMAKE_CURRENT_LIST_DIR}/q14.test)
set_tests_properties(nexmark/queries PROPERTIES LABELS sql)

# The same cases over Kafka (an in-process broker, bounded reads): q5's
# last windows fire at the final watermark into a mini-batch GROUP BY,
# which the stop must flush (it once did not: q5 wrote nothing).
add_test(NAME nexmark/broker COMMAND $<TARGET_FILE:eddy> test --broker ${CMAKE_SOURCE_DIR}/tests/sql/nexmark.test)
set_tests_properties(nexmark/broker PROPERTIES LABELS sql TIMEOUT 300)

add_test(NAME nexmark/smoke
  COMMAND env EDDY=$<TARGET_FILE:eddy> "QUERIES=q0 q1 q5 q6 q12" bash ${CMAKE_SOURCE_DIR}/bench/nexmark/run.sh 10000)
set_tests_properties(nexmark/smoke PROPERTIES LABELS e2e TIMEOUT 180)

# The 'nexmark' source connector: the events of `eddy gen nexmark`, a
# restart in the middle, the declared columns checked.
eddy_python_test(nexmark/connector ${CMAKE_CURRENT_LIST_DIR}/test_connector.py)
set_tests_properties(nexmark/connector PROPERTIES LABELS e2e TIMEOUT 120)

# q14: bench/nexmark/count_char.c built as the C UDF library count_char.so
# that q14.sql's CREATE FUNCTION names (found through LD_LIBRARY_PATH), and
# q14 over hand-written events (tests/nexmark/q14.test).
add_library(nexmark_count_char MODULE ${PROJECT_SOURCE_DIR}/bench/nexmark/count_char.c)
set_property(TARGET nexmark_count_char PROPERTY INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/include)
set_target_properties(nexmark_count_char PROPERTIES PREFIX "" OUTPUT_NAME "count_char"
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/nexmark_udf)
add_test(NAME nexmark/q14 COMMAND $<TARGET_FILE:eddy> test ${CMAKE_CURRENT_LIST_DIR}/q14.test)
set_tests_properties(nexmark/q14 PROPERTIES ENVIRONMENT "LD_LIBRARY_PATH=$<TARGET_FILE_DIR:nexmark_count_char>" LABELS sql)
