# The SQL shell (`eddy` with no command), driven as a person would: in a
# pseudo-terminal (keys in, what the terminal shows out) against
# `eddy broker`, and with pipes for scripts.  repltest.py drives the
# pseudo-terminal (Python's pty module); the broker, `eddy gen` and the test
# program come from the shared harness (tests/lib/eddyharness.py).
if(TARGET eddy)
  foreach(t statements live_select jobs editing piped views pager startup live_status)
    eddy_python_test(repl/${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.py)
    # Each takes a few seconds; the timeout only guards against a hang.
    set_tests_properties(repl/${t} PROPERTIES TIMEOUT 60 LABELS "repl;kafka")
  endforeach()
endif()
# DESCRIBE JOB's sink line while the broker fails Produce requests.
if(TARGET eddy)
  eddy_python_test(repl/monitor ${CMAKE_CURRENT_LIST_DIR}/test_monitor.py)
  set_tests_properties(repl/monitor PROPERTIES TIMEOUT 60 LABELS "repl;kafka")
endif()
