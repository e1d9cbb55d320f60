# The SQL shell (`eddy` with no command), driven as a person would: in a
# pseudo-terminal (keys in, what the terminal shows out) against
# `eddy broker`, and with pipes for scripts.  Python's pty module, standard
# library only (/usr/bin/python3); repltest.py is the shared harness.
if(TARGET eddy)
  foreach(t statements live_select jobs editing piped)
    add_test(NAME repl/${t}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_${t}.py $<TARGET_FILE:eddy>)
    # Each takes a few seconds; the timeout only guards against a hang.
    set_tests_properties(repl/${t} PROPERTIES TIMEOUT 60 LABELS "repl;kafka" ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)
  endforeach()
endif()
