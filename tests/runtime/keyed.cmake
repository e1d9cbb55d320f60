# runtime/keyed.cmake — cmocka tests of keyed operator state
# (src/exec/keyed.c) and of the state counts the operators using it keep:
# ctest runtime/keyed.  Included from tests/CMakeLists.txt.
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: runtime/keyed is not built")
else()
  add_executable(runtime_keyed ${CMAKE_CURRENT_LIST_DIR}/test_keyed.c)
  target_include_directories(runtime_keyed PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(runtime_keyed PRIVATE eddy_runtime ${CMOCKA_LIBRARY} m)
  add_test(NAME runtime/keyed COMMAND runtime_keyed)
  set_tests_properties(runtime/keyed PROPERTIES
    LABELS runtime
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    TIMEOUT 120)
endif()
