# runtime/eval.cmake — cmocka tests of values (src/value.c) and expression
# evaluation (src/eval.c): ctest runtime/value and runtime/eval.  They link
# libeddy.a for the compiler (test_eval.c compiles real SQL with the parser
# and binder, then evaluates the bound expressions over hand-made rows).
# Included from tests/CMakeLists.txt; paths are relative to this file.
#
# value.c and eval.c are not in a library yet.  Once they are, this
# fragment must not compile them a second time: it links eddy_runtime when
# that target exists, adds nothing when eddy_obj already lists eval.c, and
# only otherwise compiles the two files into the test executables.

find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: runtime value/eval tests are not built (install libcmocka-dev)")
else()
  set(_rt_dir ${CMAKE_CURRENT_LIST_DIR})
  set(_rt_sources "")
  set(_rt_libs "")
  if(TARGET eddy_runtime)
    set(_rt_libs eddy_runtime)
  else()
    get_target_property(_rt_obj_sources eddy_obj SOURCES)
    list(FILTER _rt_obj_sources INCLUDE REGEX "(^|/)eval\\.c$")
    if(NOT _rt_obj_sources)
      set(_rt_sources ${PROJECT_SOURCE_DIR}/src/value.c ${PROJECT_SOURCE_DIR}/src/eval.c)
    endif()
  endif()
  foreach(_name value eval)
    add_executable(runtime_${_name} ${_rt_dir}/test_${_name}.c ${_rt_sources})
    target_include_directories(runtime_${_name} PRIVATE
      $<TARGET_PROPERTY:eddy_obj,INCLUDE_DIRECTORIES> ${CMOCKA_INCLUDE_DIR})
    target_link_libraries(runtime_${_name} PRIVATE ${_rt_libs} eddy_static ${CMOCKA_LIBRARY} m)
    # parser.h is generated; make sure it exists before these compile.
    add_dependencies(runtime_${_name} eddy_obj)
    add_test(NAME runtime/${_name} COMMAND runtime_${_name})
    set_tests_properties(runtime/${_name} PROPERTIES
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1"
      LABELS runtime
      TIMEOUT 120)
  endforeach()
endif()
