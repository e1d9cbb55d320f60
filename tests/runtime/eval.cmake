# runtime/eval.cmake — cmocka tests of values (src/exec/value.c) and
# expression evaluation (src/exec/eval.c): ctest runtime/value and
# runtime/eval.  test_eval.c compiles real SQL with the parser and binder,
# then evaluates the bound expressions over hand-made rows.
# Included from tests/CMakeLists.txt; paths are relative to this file.

find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: runtime value/eval tests are not built (install libcmocka-dev)")
else()
  set(_rt_dir ${CMAKE_CURRENT_LIST_DIR})
  foreach(_name value eval)
    add_executable(runtime_${_name} ${_rt_dir}/test_${_name}.c)
    target_include_directories(runtime_${_name} PRIVATE ${CMOCKA_INCLUDE_DIR})
    target_link_libraries(runtime_${_name} PRIVATE eddy_runtime ${CMOCKA_LIBRARY} m)
    add_test(NAME runtime/${_name} COMMAND runtime_${_name})
    set_tests_properties(runtime/${_name} PROPERTIES
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1"
      LABELS runtime
      TIMEOUT 120)
  endforeach()
endif()
