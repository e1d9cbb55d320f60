# fuzz/ — a libFuzzer target over the compiler (fuzz_compile.c), built with
# clang from the compiler's own sources (EDDY_COMPILER_SOURCES), whatever
# compiler the main build uses, with -fsanitize=fuzzer,address,undefined.
#
# ctest fuzz/compile runs it for a fixed number of inputs from a fixed seed
# (reproducible, a few seconds) over a corpus made of sql/*.sql and the
# golden cases.  For a longer hunt, run it by hand, e.g.
#   build/tests/fuzz_compile -dict=tests/fuzz/sql.dict -max_total_time=300 \
#       build/tests/fuzz_work build/tests/fuzz_corpus
# Crash inputs land in build/tests/fuzz_artifacts/.
# Without clang or its libFuzzer runtime there is no target and no test.
# Included from tests/CMakeLists.txt; paths are relative to this file.

# This file is also the runner of that test (cmake -P tests/fuzz/fuzz.cmake):
# a fixed number of inputs from a fixed seed, so a run is reproducible.  New
# inputs libFuzzer finds go to a scratch directory emptied first (the seed
# corpus is never written); crash inputs go to ARTIFACTS, which is kept.
if(CMAKE_SCRIPT_MODE_FILE)
  foreach(_v FUZZER SEEDS WORK ARTIFACTS RUNS)
    if(NOT DEFINED ${_v})
      message(FATAL_ERROR "fuzz.cmake -P: -D${_v}=... is required")
    endif()
  endforeach()
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK} ${ARTIFACTS})
  set(_dict)
  if(DICT)
    set(_dict -dict=${DICT})
  endif()
  execute_process(
    COMMAND ${FUZZER}
            -runs=${RUNS} -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048
            ${_dict} -artifact_prefix=${ARTIFACTS}/ -print_final_stats=1
            ${WORK} ${SEEDS}
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${FUZZER} failed (exit ${_rc}); the crashing input is in ${ARTIFACTS}")
  endif()
  return()
endif()

set(_fuzz_dir ${CMAKE_CURRENT_LIST_DIR})
find_program(CLANG clang)

set(_fuzz_ok FALSE)
if(CLANG)
  # Is there a libFuzzer runtime for this clang?  Link a trivial target.
  set(_probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe)
  file(WRITE ${_probe}.c
    "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(
    COMMAND ${CLANG} -fsanitize=fuzzer,address,undefined ${_probe}.c -o ${_probe}
    RESULT_VARIABLE _probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(_probe_rc EQUAL 0)
    set(_fuzz_ok TRUE)
  else()
    message(STATUS "fuzz: ${CLANG} has no libFuzzer runtime (libclang-rt-dev): no fuzz target, no fuzz/compile test")
  endif()
else()
  message(STATUS "fuzz: clang not found: no fuzz target, no fuzz/compile test")
endif()

# The headers every fuzz target's sources include: a change to one (a
# struct's layout) must rebuild the targets, which clang builds in one
# command that CMake cannot scan.
file(GLOB _fuzz_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/*.h ${PROJECT_SOURCE_DIR}/src/*/*.h)

if(_fuzz_ok)
  # The compiler's sources, as absolute paths (they are listed relative to
  # the top directory; the generated lexer and parser are already absolute).
  set(_fuzz_srcs)
  foreach(_src ${EDDY_COMPILER_SOURCES})
    if(IS_ABSOLUTE ${_src})
      list(APPEND _fuzz_srcs ${_src})
    else()
      list(APPEND _fuzz_srcs ${PROJECT_SOURCE_DIR}/${_src})
    endif()
  endforeach()

  set(_fuzz_bin ${CMAKE_CURRENT_BINARY_DIR}/fuzz_compile)
  add_custom_command(
    OUTPUT ${_fuzz_bin}
    COMMAND ${CLANG} -g -O1 -std=gnu11 -fno-omit-frame-pointer
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            -Wall -Wextra -Wno-unused-parameter -Wno-unused-variable -Wno-unused-but-set-variable
            -DEDDY_BUILDING
            -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/src/base -I${PROJECT_SOURCE_DIR}/src/sql -I${GEN}
            ${_fuzz_srcs} ${_fuzz_dir}/fuzz_compile.c -o ${_fuzz_bin} -lpcre2-8 -lpthread
    # eddy_obj generates the lexer and parser (in ${GEN}) first.
    DEPENDS ${_fuzz_srcs} ${_fuzz_headers} ${_fuzz_dir}/fuzz_compile.c eddy_obj
    COMMENT "clang: libFuzzer target fuzz_compile"
    VERBATIM)

  # The seed corpus: the reference script and every golden case.
  file(GLOB _fuzz_seeds CONFIGURE_DEPENDS
    ${PROJECT_SOURCE_DIR}/sql/*.sql
    ${PROJECT_SOURCE_DIR}/tests/golden/cases/*.sql)
  set(_fuzz_corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus)
  add_custom_command(
    OUTPUT ${_fuzz_corpus}/.stamp
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_fuzz_corpus}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${_fuzz_seeds} ${_fuzz_corpus}
    COMMAND ${CMAKE_COMMAND} -E touch ${_fuzz_corpus}/.stamp
    DEPENDS ${_fuzz_seeds}
    COMMENT "fuzz: seed corpus"
    VERBATIM)

  add_custom_target(fuzz_compile ALL DEPENDS ${_fuzz_bin} ${_fuzz_corpus}/.stamp)
  add_dependencies(fuzz_compile eddy_obj)

  add_test(NAME fuzz/compile
    COMMAND ${CMAKE_COMMAND}
            -DFUZZER=${_fuzz_bin}
            -DSEEDS=${_fuzz_corpus}
            -DWORK=${CMAKE_CURRENT_BINARY_DIR}/fuzz_work
            -DARTIFACTS=${CMAKE_CURRENT_BINARY_DIR}/fuzz_artifacts
            -DDICT=${_fuzz_dir}/sql.dict
            -DRUNS=30000
            -P ${_fuzz_dir}/fuzz.cmake)
  set_tests_properties(fuzz/compile PROPERTIES TIMEOUT 120)

endif()

# One more libFuzzer target: eddy_fuzz_target(NAME SOURCES src… SEEDS dir
# RUNS n [DICT file] [INCLUDES -Idir…] [LIBS …]) builds tests/fuzz/fuzz_NAME.c
# with clang over the given sources (paths from the top directory) and adds
# the test fuzz/NAME: RUNS inputs from a fixed seed, as fuzz/compile.  By
# hand: build/tests/fuzz_NAME -max_total_time=3600 build/tests/fuzz_NAME_work SEEDS
function(eddy_fuzz_target name)
  cmake_parse_arguments(F "" "SEEDS;RUNS;DICT" "SOURCES;INCLUDES;LIBS" ${ARGN})
  set(_srcs)
  foreach(_src ${F_SOURCES})
    list(APPEND _srcs ${PROJECT_SOURCE_DIR}/${_src})
  endforeach()
  set(_bin ${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name})
  add_custom_command(
    OUTPUT ${_bin}
    COMMAND ${CLANG} -g -O1 -std=gnu11 -fno-omit-frame-pointer
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
            -Wall -Wextra -Wno-unused-parameter -DEDDY_BUILDING
            -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/src/base -I${PROJECT_SOURCE_DIR}/src/sql
            -I${PROJECT_SOURCE_DIR}/src/exec -I${PROJECT_SOURCE_DIR}/src/connect -I${PROJECT_SOURCE_DIR}/src/cli -I${GEN}
            ${F_INCLUDES} ${_srcs} ${_fuzz_dir}/fuzz_${name}.c ${F_LIBS} -lm -o ${_bin}
    DEPENDS ${_srcs} ${_fuzz_headers} ${_fuzz_dir}/fuzz_${name}.c eddy_obj
    COMMENT "clang: libFuzzer target fuzz_${name}"
    VERBATIM)
  add_custom_target(fuzz_${name} ALL DEPENDS ${_bin})
  add_dependencies(fuzz_${name} eddy_obj)
  set(_dict)
  if(F_DICT)
    set(_dict -DDICT=${F_DICT})
  endif()
  add_test(NAME fuzz/${name}
    COMMAND ${CMAKE_COMMAND} -DFUZZER=${_bin} -DSEEDS=${F_SEEDS}
            -DWORK=${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name}_work -DARTIFACTS=${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name}_artifacts
            ${_dict} -DRUNS=${F_RUNS} -P ${_fuzz_dir}/fuzz.cmake)
  set_tests_properties(fuzz/${name} PROPERTIES TIMEOUT 120)
endfunction()

if(_fuzz_ok)
  set(_base src/base/arena.c src/base/strbuf.c src/base/diag.c src/base/types.c src/base/tz.c src/base/options.c)
  set(_avro_incs)
  foreach(_d ${AVRO_INCLUDE_DIRS} ${JANSSON_INCLUDE_DIRS})
    list(APPEND _avro_incs -I${_d})
  endforeach()
  # the Debezium decoders (codec_debezium.c): debezium-json with the JSON
  # decoder of its row images, and the Avro envelope of debezium-avro-confluent
  eddy_fuzz_target(debezium SEEDS ${_fuzz_dir}/debezium_seeds DICT ${_fuzz_dir}/debezium.dict RUNS 100000
    SOURCES ${_base} src/exec/value.c src/exec/nested.c src/exec/rowkey.c src/connect/codec_json.c src/connect/codec_avro.c src/connect/codec_debezium.c
    INCLUDES ${_avro_incs} LIBS ${AVRO_LDFLAGS} ${JANSSON_LDFLAGS})
  # the record decoders: JSON and Avro (the compiled programs against several
  # writer schemas, flat and nested columns); the first byte of an input
  # picks the decoder
  eddy_fuzz_target(decode SEEDS ${_fuzz_dir}/decode_seeds DICT ${_fuzz_dir}/decode.dict RUNS 50000
    SOURCES ${_base} src/exec/value.c src/exec/nested.c src/exec/rowkey.c src/connect/codec_json.c src/connect/codec_avro.c
    INCLUDES ${_avro_incs} LIBS ${AVRO_LDFLAGS} ${JANSSON_LDFLAGS})
  # the development Schema Registry's HTTP handler, over loopback TCP: raw
  # requests through libmicrohttpd into the router and the state-file log
  set(_mhd_incs)
  foreach(_d ${MHD_INCLUDE_DIRS})
    list(APPEND _mhd_incs -I${_d})
  endforeach()
  eddy_fuzz_target(registry SEEDS ${_fuzz_dir}/registry_seeds DICT ${_fuzz_dir}/registry.dict RUNS 3000
    SOURCES ${_base} src/base/htab.c src/base/slab.c src/exec/value.c src/exec/nested.c src/exec/rowkey.c src/connect/codec_avro.c src/connect/registry_server.c
    INCLUDES ${_avro_incs} ${_mhd_incs} LIBS ${AVRO_LDFLAGS} ${JANSSON_LDFLAGS} ${MHD_LDFLAGS} -lpthread)
  # the state records a task reads back from its state changelog topic (state.c)
  eddy_fuzz_target(state SEEDS ${_fuzz_dir}/state_seeds RUNS 30000 SOURCES ${_base} src/exec/state.c LIBS -lsqlite3)
  # the records of an exchange between the stages of a parallel job (src/exec/exchange.c) and the rows they carry
  eddy_fuzz_target(exchange SEEDS ${_fuzz_dir}/exchange_seeds RUNS 50000
    SOURCES ${_base} src/exec/value.c src/exec/nested.c src/exec/rowkey.c src/exec/exchange.c)
  # the test-file parser (src/cli/testfile.c), from the test files in tests/sql
  eddy_fuzz_target(testfile SEEDS ${PROJECT_SOURCE_DIR}/tests/sql RUNS 50000 SOURCES ${_base} src/cli/testfile.c)
endif()
