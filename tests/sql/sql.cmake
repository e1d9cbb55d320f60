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
