# ctest driver for one libFuzzer target: fresh copy of the seeds, bounded run.
# Usage: cmake -DFUZZER=... -DSEEDS=... -DWORK=... [-DDICT=...] [-DSECONDS=20] -P run_fuzzer.cmake
if(NOT SECONDS)
  set(SECONDS 20)
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK})
get_filename_component(dir ${WORK} DIRECTORY)
set(dict_arg)
if(DICT)
  set(dict_arg -dict=${DICT})
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048 -max_len=4096 -timeout=10 ${dict_arg}
          -artifact_prefix=${dir}/ ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); reproducer (crash-*, leak-*, timeout-*) in ${dir}")
endif()
