# Configures, builds and runs one consumer project; any failing step fails the test.
#
#   cmake -DSOURCE_DIR=<consumer source> -DBINARY_DIR=<its build dir>
#         [-DGENERATOR=<generator>] [-DMAKE_PROGRAM=<path>] [-DCXX_COMPILER=<path>]
#         [-DBUILD_TYPE=<config>] [-DEXTRA_ARGS=<-D...;-D...>]
#         [-DINSTALL_FROM=<birnn build dir> -DSTAGE_DIR=<prefix>]
#         -P run_consumer.cmake
#
# With INSTALL_FROM, the birnn build tree is first installed into a freshly emptied
# STAGE_DIR, which is then put in the consumer's CMAKE_PREFIX_PATH.
# The consumer must build an executable named birnn_consumer directly in BINARY_DIR.
cmake_minimum_required(VERSION 3.21)

foreach(_required IN ITEMS SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${_required})
    message(FATAL_ERROR "run_consumer.cmake: ${_required} is not set")
  endif()
endforeach()

# Runs a command, echoing it; stops the script when it fails.
function(_run step)
  string(REPLACE ";" " " _printable "${ARGN}")
  message(STATUS "[${step}] ${_printable}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _result)
  if(NOT _result EQUAL 0)
    message(FATAL_ERROR "[${step}] failed (${_result})")
  endif()
endfunction()

set(_configure_args "")
if(GENERATOR)
  list(APPEND _configure_args -G "${GENERATOR}")
endif()
if(MAKE_PROGRAM)
  list(APPEND _configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND _configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(BUILD_TYPE)
  list(APPEND _configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
list(APPEND _configure_args ${EXTRA_ARGS})

if(DEFINED INSTALL_FROM)
  if(NOT DEFINED STAGE_DIR)
    message(FATAL_ERROR "run_consumer.cmake: INSTALL_FROM needs STAGE_DIR")
  endif()
  # Empty it first, so files left from an earlier run cannot hide a missing install rule.
  file(REMOVE_RECURSE "${STAGE_DIR}")
  set(_install_args --install "${INSTALL_FROM}" --prefix "${STAGE_DIR}")
  if(BUILD_TYPE)
    list(APPEND _install_args --config "${BUILD_TYPE}")
  endif()
  _run(install "${CMAKE_COMMAND}" ${_install_args})
  list(APPEND _configure_args "-DCMAKE_PREFIX_PATH=${STAGE_DIR}")
endif()

# A fresh build tree each time: a stale cache could keep finding an old birnn.
file(REMOVE_RECURSE "${BINARY_DIR}")
_run(configure "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" ${_configure_args})

set(_build_args --build "${BINARY_DIR}")
if(BUILD_TYPE)
  list(APPEND _build_args --config "${BUILD_TYPE}")
endif()
_run(build "${CMAKE_COMMAND}" ${_build_args})

_run(run "${BINARY_DIR}/birnn_consumer")
