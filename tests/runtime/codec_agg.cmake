# codec_agg.cmake — cmocka tests of the JSON codec, the aggregate
# accumulators, the hash table and row keys: ctest runtime/codec_json,
# runtime/agg, runtime/htab, and the executor's structure: runtime/exec.  Included from tests/CMakeLists.txt.
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)
set(_ca_dir ${CMAKE_CURRENT_LIST_DIR})

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: runtime/codec_json, agg, htab are not built")
else()
  foreach(_name codec_json agg htab exec window join)
    add_executable(runtime_${_name} ${_ca_dir}/test_${_name}.c)
    target_include_directories(runtime_${_name} PRIVATE ${CMOCKA_INCLUDE_DIR})
    target_link_libraries(runtime_${_name} PRIVATE eddy_runtime ${CMOCKA_LIBRARY} m)
    add_test(NAME runtime/${_name} COMMAND runtime_${_name})
    set_tests_properties(runtime/${_name} PROPERTIES
      LABELS runtime
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
      TIMEOUT 120)
  endforeach()
endif()

# The state file (src/exec/state.c): log, compaction, scan.
if(TARGET eddy_runtime AND CMOCKA_INCLUDE_DIR AND CMOCKA_LIBRARY)
  add_executable(runtime_state ${_ca_dir}/test_state.c)
  target_include_directories(runtime_state PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(runtime_state PRIVATE eddy_runtime ${CMOCKA_LIBRARY})
  add_test(NAME runtime/state COMMAND runtime_state)
  set_tests_properties(runtime/state PROPERTIES LABELS runtime)
endif()
