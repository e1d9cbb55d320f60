# codec_agg.cmake — cmocka tests of the JSON codec, the aggregate
# accumulators, the hash table and row keys: ctest runtime/codec_json,
# runtime/agg, runtime/htab.  Included from tests/CMakeLists.txt.
#
# While the runtime is being written in parallel there may be no runtime
# library yet: then these tests compile their own sources (codec_json.c,
# agg.c, htab.c, rowkey.c and value.c, which they call) and link the
# compiler library; once the target eddy_runtime exists they link that
# instead.  Without src/value.c they are not registered at all.

find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)
set(_ca_dir ${CMAKE_CURRENT_LIST_DIR})

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: runtime/codec_json, agg, htab are not built")
elseif(NOT TARGET eddy_runtime AND NOT EXISTS ${CMAKE_SOURCE_DIR}/src/value.c)
  message(STATUS "src/value.c not written yet: runtime/codec_json, agg, htab are not built")
else()
  if(TARGET eddy_runtime)
    set(_ca_sources "")
    set(_ca_libs eddy_runtime)
  else()
    set(_ca_sources
      ${CMAKE_SOURCE_DIR}/src/codec_json.c ${CMAKE_SOURCE_DIR}/src/agg.c
      ${CMAKE_SOURCE_DIR}/src/htab.c ${CMAKE_SOURCE_DIR}/src/rowkey.c
      ${CMAKE_SOURCE_DIR}/src/value.c)
    set(_ca_libs eddy_static)
  endif()
  foreach(_name codec_json agg htab)
    add_executable(runtime_${_name} ${_ca_dir}/test_${_name}.c ${_ca_sources})
    target_include_directories(runtime_${_name} PRIVATE
      $<TARGET_PROPERTY:eddy_obj,INCLUDE_DIRECTORIES> ${CMOCKA_INCLUDE_DIR})
    target_link_libraries(runtime_${_name} PRIVATE ${_ca_libs} ${CMOCKA_LIBRARY} m)
    add_dependencies(runtime_${_name} eddy_obj)   # generated headers first
    add_test(NAME runtime/${_name} COMMAND runtime_${_name})
    set_tests_properties(runtime/${_name} PROPERTIES
      LABELS runtime
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
      TIMEOUT 120)
  endforeach()
endif()

# The state file (src/state.c): log, compaction, scan.
if(TARGET eddy_runtime AND CMOCKA_INCLUDE_DIR AND CMOCKA_LIBRARY)
  add_executable(runtime_state ${_ca_dir}/test_state.c)
  target_include_directories(runtime_state PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(runtime_state PRIVATE eddy_runtime ${CMOCKA_LIBRARY})
  add_test(NAME runtime/state COMMAND runtime_state)
  set_tests_properties(runtime/state PROPERTIES LABELS runtime)
endif()
