# End-to-end tests: each script starts its own `eddy broker` on a free
# loopback port, produces records with Python's confluent_kafka, runs
# `eddy run --bounded` (or an unbounded job stopped with SIGTERM) on SQL it
# writes, reads the sink topics back to their ends and compares them with
# results computed in Python from the records it produced.  eddytest.py
# holds what only these tests need; the rest is the shared harness
# (tests/lib/eddyharness.py).
foreach(name reference having upsert_agg where_nulls sink_modes malformed union union_bounded windows join interval_join temporal_join statements datagen_restart
             topn topn_restart over over_update window_topn broker_port demo semi_join aggregates_more nested functions upsert_revert nested_avro flink_changelog)
  eddy_python_test(e2e/${name} ${CMAKE_CURRENT_LIST_DIR}/test_${name}.py)
  set_tests_properties(e2e/${name} PROPERTIES TIMEOUT 120)
endforeach()

# Fault tests (test_faults.py): `eddy broker --control` fails requests,
# drops a broker and adds latency while orders stream into a GROUP BY job;
# its upsert sink must end exact and never go backwards.  ~15 s each.
# sink_outage / sink_partition / sink_timeout: the sink's broker, or one
# sink partition's leader, down for longer than the job needs to read its
# input (it goes on, names the waiting partitions, checkpoints wait);
# dead_letter: dead-letter copies exactly once across kill -9.
# Saved state across harmless query changes and eddy versions
# (test_state_compat.py; the corpus of older state files in state_corpus/).
# Flink's Kafka options that only a broker shows (test_flink_options.py):
# topic lists and patterns, specific offsets, timestamp start, sink
# partitioner, group offsets.  A few seconds each.
foreach(name topic_list topic_pattern specific_offsets timestamp_millis partitioner group_offsets)
  eddy_python_test(e2e/flink_${name} ${CMAKE_CURRENT_LIST_DIR}/test_flink_options.py ${name})
  set_tests_properties(e2e/flink_${name} PROPERTIES TIMEOUT 120)
endforeach()

foreach(name harmless perjob tampered diskfull corpus)
  eddy_python_test(e2e/state_${name} ${CMAKE_CURRENT_LIST_DIR}/test_state_compat.py ${name})
  set_tests_properties(e2e/state_${name} PROPERTIES TIMEOUT 120)
endforeach()

foreach(name produce produce_noidem broker sink_outage sink_partition sink_timeout dead_letter)
  eddy_python_test(e2e/faults_${name} ${CMAKE_CURRENT_LIST_DIR}/test_faults.py ${name})
  set_tests_properties(e2e/faults_${name} PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)   # injected latency and timeouts: alone, not beside other tests
endforeach()

# Monitoring (test_monitor.py): `eddy run --http` scraped during a run —
# /metrics counters and lag, /healthz through a broker down and up, bad
# requests, dead-letter headers, the job's consumer group; and a bootstrap
# nobody listens on failing fast; failed Produce requests counted as retries.
foreach(name metrics failfast sink_retries)
  eddy_python_test(e2e/monitor_${name} ${CMAKE_CURRENT_LIST_DIR}/test_monitor.py ${name})
  set_tests_properties(e2e/monitor_${name} PROPERTIES TIMEOUT 120)
endforeach()

# The dashboard in Debian's headless chromium (test_dashboard.py): loads
# with no console errors, shows the reference job's per-region rows, the
# numbers change between two looks; a screenshot is kept.  Exit 77 = skipped
# (chromium missing or unable to start), never a pass.
eddy_python_test(e2e/dashboard ${CMAKE_CURRENT_LIST_DIR}/test_dashboard.py)
set_tests_properties(e2e/dashboard PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# A job run as tasks on worker threads (test_parallel.py, docs/scaling.md):
# parallelism 1, 2 and 3 give the same sinks, per-task state and resume,
# /jobs and /metrics per task, kill -9 of a parallel run, GROUP BY cut into
# stages (1, 2, 3 threads) and killed in the middle, its readers restarted
# without a checkpoint, a staged job's per-operator counters summed over
# its stages, a shuffle that does not wait for a long checkpoint interval.
# ~5-20 s each.
foreach(name stateless metrics kill groupby groupby_kill fresh_reader staged_metrics shuffle_latency)
  eddy_python_test(e2e/parallel_${name} ${CMAKE_CURRENT_LIST_DIR}/test_parallel.py ${name})
  set_tests_properties(e2e/parallel_${name} PROPERTIES TIMEOUT 120)
endforeach()

# A job shared by several processes through Kafka consumer groups
# (test_group.py, eddy run --group, docs/scaling.md): one process vs two give
# the same final table (GROUP BY user_id, the reference job); kill -9 of one
# of two while orders stream in; a process started later takes tasks over
# and a clean stop gives them back; kill -9 of one of three, a fourth started,
# one stopped cleanly; a regular join with an upsert table (updates and
# deletes) under GROUP BY, four stages, and an event-time TUMBLE window, one
# process vs two.  ~15-60 s each
# (group joins take 3 s).
foreach(name same reference kill rebalance three join window)
  eddy_python_test(e2e/group_${name} ${CMAKE_CURRENT_LIST_DIR}/test_group.py ${name})
  set_tests_properties(e2e/group_${name} PROPERTIES TIMEOUT 120)
endforeach()
# group_three was disabled after the table stayed ~2,000 orders short after
# the clean stop: the exchange writers of three tasks wrote under a
# generation below the one the readers had seen (the time their Job was
# made, before the task's last run elsewhere), and the readers dropped
# their rows (op_exchange.c: a generation is taken when the run starts;
# runtime/exchange pins it).  Since: 12 passes in a row alone (the machine
# busy with benchmarks) and 12 beside a CPU hog.
