# embed/ — a program that uses eddy the way an embedder does: it includes
# nothing but <eddy.h> (include/ only, no src/) and links nothing but
# libeddy.so (eddy_shared), so it also proves that every symbol it needs is
# exported and nothing private leaks into the header.  ctest: embed/api.
# Included from tests/CMakeLists.txt; paths are relative to this file.

add_executable(embed_api ${CMAKE_CURRENT_LIST_DIR}/test_embed.c)
# Only the public header directory (eddy_shared's usage requirement is the
# same; say it explicitly so a later change there cannot widen it).
set_property(TARGET embed_api PROPERTY INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(embed_api PRIVATE eddy_shared)
add_test(NAME embed/api COMMAND embed_api ${PROJECT_SOURCE_DIR}/sql/orders.sql)
# LeakSanitizer (part of ASan on Linux) runs at exit in the sanitizer build:
# anything the program forgets to free fails the test.
set_tests_properties(embed/api PROPERTIES
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1"
  TIMEOUT 60)
