# Runs tw_trial_failing and checks what a user sees.
#   MODE=golden: its output, normalized (source paths, times, addresses), must equal
#                golden/failing.txt; with -D UPDATE=1 the file is rewritten instead.
#   MODE=junit:  --gtest_output=xml writes a JUnit XML file with the right counts, the failure
#                messages and the skipped tests.
# Variables: BINARY, SOURCE_DIR (the repository), WORK_DIR (scratch), MODE, UPDATE.
cmake_minimum_required(VERSION 3.25)
set(golden ${SOURCE_DIR}/tests/trial/golden/failing.txt)
set(ENV{RC_PARAMS} "seed=1")
set(ENV{GTEST_COLOR} "no")

if(MODE STREQUAL "golden")
  execute_process(COMMAND ${BINARY} --gtest_color=no
    OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    message(FATAL_ERROR "tw_trial_failing passed; its tests must fail")
  endif()
  string(REPLACE "${SOURCE_DIR}/" "" out "${out}")
  string(REGEX REPLACE "\\([0-9]+ ms\\)" "(N ms)" out "${out}")
  string(REGEX REPLACE "\\([0-9]+ ms total\\)" "(N ms total)" out "${out}")
  string(REGEX REPLACE "0x[0-9a-f]+" "0xADDR" out "${out}")
  string(REGEX REPLACE "reproduce=[^\"]*" "reproduce=..." out "${out}")
  if(UPDATE)
    file(WRITE ${golden} "${out}")
    message(STATUS "rewrote ${golden}")
    return()
  endif()
  file(READ ${golden} expected)
  if(NOT out STREQUAL expected)
    file(WRITE ${WORK_DIR}/failing.actual.txt "${out}")
    execute_process(COMMAND diff -u ${golden} ${WORK_DIR}/failing.actual.txt)
    message(FATAL_ERROR "the runner's output differs from ${golden} (diff above; if the change "
      "is intended, regenerate it with -D UPDATE=1)")
  endif()
elseif(MODE STREQUAL "junit")
  set(xml ${WORK_DIR}/failing.xml)
  file(REMOVE ${xml})
  execute_process(COMMAND ${BINARY} --gtest_output=xml:${xml}
    OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT EXISTS ${xml})
    message(FATAL_ERROR "--gtest_output=xml wrote no file")
  endif()
  file(READ ${xml} x)
  foreach(pattern
      "<testsuites tests=\"12\" failures=\"10\" disabled=\"0\" errors=\"0\""
      "<testcase name=\"stalls\"[^>]*>[ \n]*<failure message=\"[^\"]*stalled: it has not fired"
      "<testcase name=\"leavesTheReactorDirty\"[^>]*>[ \n]*<failure message=\"[^\"]*Reactor was unclean"
      "<testcase name=\"leavesAJobRunning\"[^>]*>[ \n]*<failure message=\"[^\"]*thread-pool job still running"
      "<testcase name=\"plainTestDropsAFailure\"[^>]*>[ \n]*<failure message=\"[^\"]*Unhandled error in Deferred"
      "<testcase name=\"checksNeverRan\"[^>]*>[ \n]*<failure message=\"[^\"]*A coroutine was abandoned"
      "<testcase name=\"skipped\" [^>]*result=\"skipped\""
      "<property name=\"todo\" value=\"the parser drops the last line \\(bug 12\\)\"")
    if(NOT x MATCHES "${pattern}")
      message(FATAL_ERROR "the JUnit XML lacks ${pattern}:\n${x}")
    endif()
  endforeach()
else()
  message(FATAL_ERROR "MODE must be golden or junit")
endif()
