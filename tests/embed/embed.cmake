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

# embed/deep: expressions chained or nested beyond the limit are refused
# ("expression too complex"), never a stack overflow, on a 256 KiB thread.
add_executable(embed_deep ${CMAKE_CURRENT_LIST_DIR}/test_deep.c)
set_property(TARGET embed_deep PROPERTY INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(embed_deep PRIVATE eddy_shared Threads::Threads)
add_test(NAME embed/deep COMMAND embed_deep)
set_tests_properties(embed/deep PROPERTIES
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1" TIMEOUT 120)
