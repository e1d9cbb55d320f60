# golden.cmake — registers every tests/golden/cases/*.sql as a ctest test
# `golden/<case>` that runs run.sh (eddy explain, output compared with
# tests/golden/expected/<case>.out).  Included from tests/CMakeLists.txt.
# CONFIGURE_DEPENDS: a new case file appears on the next build, no re-run of
# cmake needed.  To rewrite expectations: EDDY_UPDATE_GOLDEN=1 ctest -R golden
file(GLOB EDDY_GOLDEN_CASES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/cases/*.sql)
list(SORT EDDY_GOLDEN_CASES)
foreach(case_file ${EDDY_GOLDEN_CASES})
  get_filename_component(case_name ${case_file} NAME_WLE)
  add_test(NAME golden/${case_name}
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/run.sh $<TARGET_FILE:eddy> ${case_file})
  set_tests_properties(golden/${case_name} PROPERTIES LABELS golden)
endforeach()
