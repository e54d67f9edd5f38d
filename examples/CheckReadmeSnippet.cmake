# Checks that README.md shows a snippet of an example verbatim: the lines between the two
# `// [MARKER]` marker lines of SOURCE, as the body of a ```cpp block. MARKER defaults to
# quickstart.
#
#   cmake -DSOURCE=<main.cpp> -DREADME=<README.md> [-DMARKER=<name>] -P CheckReadmeSnippet.cmake
cmake_minimum_required(VERSION 3.21)
if(NOT MARKER)
  set(MARKER quickstart)
endif()

file(READ "${SOURCE}" _source)
file(READ "${README}" _readme)

set(_marker "// [${MARKER}]\n")
string(FIND "${_source}" "${_marker}" _begin)
string(FIND "${_source}" "${_marker}" _end REVERSE)
if(_begin EQUAL -1 OR _begin EQUAL _end)
  message(FATAL_ERROR "${SOURCE}: expected two '// [${MARKER}]' marker lines")
endif()
string(LENGTH "${_marker}" _marker_length)
math(EXPR _first "${_begin} + ${_marker_length}")
math(EXPR _length "${_end} - ${_first}")
string(SUBSTRING "${_source}" ${_first} ${_length} _snippet)
# An indented end marker leaves its indentation at the snippet's end: drop it.
string(REGEX REPLACE "[ \t]+$" "" _snippet "${_snippet}")

string(FIND "${_readme}" "```cpp\n${_snippet}```\n" _found)
if(_found EQUAL -1)
  message(FATAL_ERROR "README.md does not show the snippet of ${SOURCE} verbatim. Copy the "
                      "lines between the '// [${MARKER}]' markers into the README's "
                      "```cpp block.")
endif()
