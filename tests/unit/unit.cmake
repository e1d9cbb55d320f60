# unit/ — cmocka unit tests of the compiler's stages: lexer, parser, binder,
# planner.  They link libeddy.a and may include the private headers (src/
# and the generated parser.h), so they see the AST, the bound trees and the
# plan nodes directly.  Each file is one ctest test, unit/<name>.
# Included from tests/CMakeLists.txt; paths are relative to this file.

find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY cmocka)

if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: unit tests are not built (install libcmocka-dev)")
else()
  set(_unit_dir ${CMAKE_CURRENT_LIST_DIR})
  foreach(_name lexer parser binder planner tz)
    add_executable(unit_${_name} ${_unit_dir}/test_${_name}.c)
    target_include_directories(unit_${_name} PRIVATE
      $<TARGET_PROPERTY:eddy_obj,INCLUDE_DIRECTORIES> ${CMOCKA_INCLUDE_DIR})
    target_link_libraries(unit_${_name} PRIVATE eddy_static ${CMOCKA_LIBRARY})
    # parser.h is generated; make sure it exists before these compile.
    add_dependencies(unit_${_name} eddy_obj)
    add_test(NAME unit/${_name} COMMAND unit_${_name})
    set_tests_properties(unit/${_name} PROPERTIES
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1"
      TIMEOUT 60)
  endforeach()
  # Tests of known compiler bugs, kept out of ctest until they are fixed
  # (each test file runs them with --known-bugs; see the comments there).
  # Enable a line once its bugs are fixed, or move the tests into the suite.
  add_test(NAME unit/binder_known_bugs COMMAND unit_binder --known-bugs)
endif()

# The command line's usage messages (a shell script over the eddy binary).
add_test(NAME unit/cli_usage COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/cli_usage.sh $<TARGET_FILE:eddy>)
# unit/readme_commands: the README's command table names every command and flag.
add_test(NAME unit/readme_commands COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/readme_commands.sh $<TARGET_FILE:eddy> ${PROJECT_SOURCE_DIR}/README.md)

# unit/install: cmake --install into a temporary prefix, then a program
# built with pkg-config against it, shared and static (install.sh).  In a
# sanitizer build the program takes the same sanitizer flags.
set(_install_extra "")
if(EDDY_SANITIZE)
  set(_install_extra "-fsanitize=address,undefined")
endif()
add_test(NAME unit/install COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/install.sh ${PROJECT_BINARY_DIR} "${_install_extra}")
set_tests_properties(unit/install PROPERTIES TIMEOUT 120 ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0")
