# birnn_add_benchmark(<name> <source>)
#
# Builds a Google Benchmark executable <name> from <source>, linked with birnn and
# benchmark_main (so the file only defines BENCHMARK()s, no main()).
#
# It is always optimised (-O3 -DNDEBUG), whatever CMAKE_BUILD_TYPE says: timings of an
# unoptimised Eigen build mean nothing, and the test build is usually not a Release one.
# These options come after the build type's own flags on the command line, so they win.
include_guard(GLOBAL)

function(birnn_add_benchmark name source)
  add_executable(${name} "${source}")
  target_link_libraries(${name} PRIVATE
    birnn::birnn benchmark::benchmark benchmark::benchmark_main)
  if(MSVC)
    target_compile_options(${name} PRIVATE /O2 /DNDEBUG)
  else()
    target_compile_options(${name} PRIVATE -O3 -DNDEBUG)
  endif()
  birnn_set_warnings(${name})
endfunction()
