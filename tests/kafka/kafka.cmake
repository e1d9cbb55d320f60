# The Kafka layer against the in-process mock cluster, and `eddy broker` +
# `eddy gen` driven from the shell the way a user would.
add_executable(kafka_smoke ${CMAKE_CURRENT_LIST_DIR}/kafka_smoke.c)
target_link_libraries(kafka_smoke PRIVATE eddy_runtime)
add_test(NAME kafka/smoke COMMAND kafka_smoke)
add_test(NAME kafka/broker_gen COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/broker_gen_test.sh $<TARGET_FILE:eddy>)
set_tests_properties(kafka/broker_gen PROPERTIES TIMEOUT 120)
add_executable(kafka_group ${CMAKE_CURRENT_LIST_DIR}/kafka_group.c)
target_link_libraries(kafka_group PRIVATE eddy_runtime)
add_test(NAME kafka/group COMMAND kafka_group)
set_tests_properties(kafka/group PROPERTIES TIMEOUT 120)
