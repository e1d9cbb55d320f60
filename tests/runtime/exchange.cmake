# runtime/exchange.cmake — cmocka tests of the exchange between stages
# (src/exec/op_exchange.c): its record format and its exactly-once protocol
# through commit markers, with state files: ctest runtime/exchange.
# Included from tests/CMakeLists.txt.
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: runtime/exchange is not built")
else()
  add_executable(runtime_exchange ${CMAKE_CURRENT_LIST_DIR}/test_exchange.c)
  target_include_directories(runtime_exchange PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(runtime_exchange PRIVATE eddy_runtime ${CMOCKA_LIBRARY} m)
  add_test(NAME runtime/exchange COMMAND runtime_exchange)
  set_tests_properties(runtime/exchange PROPERTIES
    LABELS runtime
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    TIMEOUT 120)
endif()
