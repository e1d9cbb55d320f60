# avro/ — Avro and the Schema Registry (issue 7).  Included from
# tests/CMakeLists.txt.
#   avro/codec       cmocka: the Avro body codec — round trips of every type,
#                    nullable and not, compiled vs avro-c generic decoding,
#                    Flink's type mapping, resolution, malformed bodies, fuzz
#   avro/codec_nested cmocka: ROW, ARRAY and MAP columns — round trips with
#                    NULL at every level, empty and deep values; Flink's
#                    record names; a foreign writer (named types, blocks
#                    with sizes); paths in messages; derived nested tables
#   avro/registry    cmocka: the development registry and the client,
#                    tables derived from the registry (eddy_engine_set_registry)
#   avro/job         cmocka: jobs in memory over avro-confluent records —
#                    schema evolution, every malformed case in both error
#                    modes, sinks registering <topic>-key/-value
#   avro/interop     Python's confluent_kafka AvroProducer → eddy broker and
#                    registry → eddy → AvroConsumer checks the upsert output
#   avro/evolution   two writer versions in one topic, aggregated
#   avro/malformed   bad Avro records in Kafka: fail (topic/partition/offset)
#                    and skip (counted)
#   avro/gen_demo    eddy gen --format avro-confluent, sql/orders_avro.sql,
#                    eddy demo --avro
find_path(AVRO_TEST_CMOCKA_INCLUDE cmocka.h)
find_library(AVRO_TEST_CMOCKA_LIBRARY cmocka)
set(_avro_dir ${CMAKE_CURRENT_LIST_DIR})
if(NOT TARGET eddy_runtime)
  message(STATUS "no runtime library: avro tests are not built")
elseif(NOT AVRO_TEST_CMOCKA_INCLUDE OR NOT AVRO_TEST_CMOCKA_LIBRARY)
  message(STATUS "cmocka not found: avro/codec, avro/registry, avro/job are not built")
else()
  foreach(_name codec_avro codec_avro_nested registry avro_job)
    add_executable(avro_${_name} ${_avro_dir}/test_${_name}.c)
    target_include_directories(avro_${_name} PRIVATE ${AVRO_TEST_CMOCKA_INCLUDE})
    target_link_libraries(avro_${_name} PRIVATE eddy_runtime ${AVRO_TEST_CMOCKA_LIBRARY} m)
  endforeach()
  add_test(NAME avro/codec COMMAND avro_codec_avro)
  add_test(NAME avro/codec_nested COMMAND avro_codec_avro_nested)
  add_test(NAME avro/registry COMMAND avro_registry)
  add_test(NAME avro/job COMMAND avro_avro_job)
  set_tests_properties(avro/codec avro/codec_nested avro/registry avro/job PROPERTIES
    LABELS avro
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    TIMEOUT 120)
endif()
if(TARGET eddy)
  foreach(_name interop evolution malformed gen_demo registry_bounds)
    eddy_python_test(avro/${_name} ${_avro_dir}/test_${_name}.py)
    set_tests_properties(avro/${_name} PROPERTIES LABELS avro TIMEOUT 180)
  endforeach()
endif()
