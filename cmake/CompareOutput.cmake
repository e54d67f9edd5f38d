# Runs a program and requires its standard output to equal a file exactly.
#
#   cmake -DEXECUTABLE=<program> -DEXPECTED=<file> [-DARGS=<a;b;...>] -P CompareOutput.cmake
#
# Fails when the program exits non-zero or its output differs; on a difference it prints
# the first differing lines, diff style (-expected / +actual). With the environment
# variable BIRNN_UPDATE_EXPECTED set to 1, it writes the output to <file> instead.
cmake_minimum_required(VERSION 3.21)

foreach(_required IN ITEMS EXECUTABLE EXPECTED)
  if(NOT DEFINED ${_required})
    message(FATAL_ERROR "CompareOutput.cmake: ${_required} is not set")
  endif()
endforeach()

execute_process(
  COMMAND "${EXECUTABLE}" ${ARGS}
  OUTPUT_VARIABLE _actual
  ERROR_VARIABLE _stderr
  RESULT_VARIABLE _result)

# Pass stderr through, so that a failure's context shows in ctest's log.
if(NOT _stderr STREQUAL "")
  message("---- stderr of ${EXECUTABLE} ----\n${_stderr}")
endif()
if(NOT _result EQUAL 0)
  message(FATAL_ERROR "${EXECUTABLE} failed: ${_result}\n---- its stdout ----\n${_actual}")
endif()

if("$ENV{BIRNN_UPDATE_EXPECTED}" STREQUAL "1")
  file(WRITE "${EXPECTED}" "${_actual}")
  message(STATUS "Updated ${EXPECTED}")
  return()
endif()

file(READ "${EXPECTED}" _expected)
if(_actual STREQUAL _expected)
  return()
endif()

# Splits text into variables <prefix>_1 ... <prefix>_N, one per line, and sets
# <prefix>_count. Lines are kept in separate variables, not in a CMake list, because list
# handling would mangle lines containing ';' or unbalanced '[' ']' (common in tensor
# printouts). A missing final newline is shown as a last line ending in "\ no newline".
function(_split_lines text prefix)
  set(_n 0)
  while(NOT text STREQUAL "")
    math(EXPR _n "${_n} + 1")
    string(FIND "${text}" "\n" _eol)
    if(_eol EQUAL -1)
      set(${prefix}_${_n} "${text}\\ no newline" PARENT_SCOPE)
      set(text "")
    else()
      string(SUBSTRING "${text}" 0 ${_eol} _line)
      set(${prefix}_${_n} "${_line}" PARENT_SCOPE)
      math(EXPR _eol "${_eol} + 1")
      string(SUBSTRING "${text}" ${_eol} -1 text)
    endif()
  endwhile()
  set(${prefix}_count ${_n} PARENT_SCOPE)
endfunction()

_split_lines("${_expected}" _exp)
_split_lines("${_actual}" _act)

# A line-by-line comparison, not a real diff: enough to spot a changed number. Stop after
# a screenful of differences.
set(_report "")
set(_differences 0)
set(_max_differences 20)
set(_last ${_exp_count})
if(_act_count GREATER _last)
  set(_last ${_act_count})
endif()
foreach(_i RANGE 1 ${_last})
  if(_i GREATER _exp_count)
    string(APPEND _report "@@ line ${_i} @@\n+${_act_${_i}}\n")
  elseif(_i GREATER _act_count)
    string(APPEND _report "@@ line ${_i} @@\n-${_exp_${_i}}\n")
  elseif(NOT "${_exp_${_i}}" STREQUAL "${_act_${_i}}")
    string(APPEND _report "@@ line ${_i} @@\n-${_exp_${_i}}\n+${_act_${_i}}\n")
  else()
    continue()
  endif()
  math(EXPR _differences "${_differences} + 1")
  if(_differences EQUAL _max_differences)
    string(APPEND _report "... (stopping after ${_max_differences} differing lines)\n")
    break()
  endif()
endforeach()

# The report goes out through plain message(), which prints text as is; FATAL_ERROR
# re-indents and re-wraps long lines, which would garble them.
message(
  "--- ${EXPECTED} (expected, ${_exp_count} lines)\n"
  "+++ output of ${EXECUTABLE} (${_act_count} lines)\n"
  "${_report}")
message(FATAL_ERROR "The output differs from ${EXPECTED} (see above). To accept the new "
                    "output: BIRNN_UPDATE_EXPECTED=1 ctest -R <this test>")
