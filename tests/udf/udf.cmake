# udf/ — user-defined functions in C.  libeddy_udftest.so (udftest.c) is a
# user's library: it includes only <eddy.h>.  udf/sql runs udf.test
# (CREATE FUNCTION … LANGUAGE C, calls, NULLs, errors, SHOW / DROP) with the
# library found through LD_LIBRARY_PATH, as a bare name; udf/api registers
# functions through eddy_register_function (test_udf_api.c).
add_library(eddy_udftest MODULE ${CMAKE_CURRENT_LIST_DIR}/udftest.c)
set_property(TARGET eddy_udftest PROPERTY INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/include)
set_target_properties(eddy_udftest PROPERTIES PREFIX "lib" OUTPUT_NAME "eddy_udftest")
add_test(NAME udf/sql COMMAND $<TARGET_FILE:eddy> test ${CMAKE_CURRENT_LIST_DIR}/udf.test)
set_tests_properties(udf/sql PROPERTIES ENVIRONMENT "LD_LIBRARY_PATH=$<TARGET_FILE_DIR:eddy_udftest>" LABELS sql)

add_executable(udf_api ${CMAKE_CURRENT_LIST_DIR}/test_udf_api.c)
set_property(TARGET udf_api PROPERTY INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(udf_api PRIVATE eddy_shared)
add_test(NAME udf/api COMMAND udf_api)
set_tests_properties(udf/api PROPERTIES
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1" TIMEOUT 60)
