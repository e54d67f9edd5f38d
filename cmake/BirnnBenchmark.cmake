# birnn_add_benchmark(<name> <source>)
#
# Builds a Google Benchmark executable <name> from <source>, linked with birnn and
# benchmark_main (so the file only defines BENCHMARK()s, no main()).
#
# It is always optimised (-O3 -DNDEBUG), whatever CMAKE_BUILD_TYPE says: timings of an
# unoptimised Eigen build mean nothing, and the test build is usually not a Release one.
# These options come after the build type's own flags on the command line, so they win.
include_guard(GLOBAL)

# Benchmarks are built for the machine that runs them: -march=native lets Eigen use its
# AVX2/AVX-512 kernels, as the peers (oneDNN, ONNX Runtime) pick theirs at run time. The
# library target itself never gets this flag.
option(BIRNN_BENCHMARK_NATIVE "Build benchmarks with -march=native" ON)

# -march=native, and GCC 12's false -W(maybe-)uninitialized inside its own avx512fintrin.h
# (the masked intrinsics' "__Y" placeholder), which Eigen's AVX-512 packets trigger at -O3.
function(_birnn_native target)
  target_compile_options(${target} PRIVATE -march=native)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-uninitialized)
  endif()
endfunction()

function(birnn_add_benchmark name source)
  add_executable(${name} "${source}")
  target_link_libraries(${name} PRIVATE
    birnn::birnn benchmark::benchmark benchmark::benchmark_main)
  if(MSVC)
    target_compile_options(${name} PRIVATE /O2 /DNDEBUG)
  else()
    target_compile_options(${name} PRIVATE -O3 -DNDEBUG)
    if(BIRNN_BENCHMARK_NATIVE)
      _birnn_native(${name})
    endif()
  endif()
  birnn_set_warnings(${name})
endfunction()

# birnn_add_benchmark_program(<name> <source>): the same flags, but a plain program with its
# own main() (the peers-bench entry), linked without Google Benchmark.
function(birnn_add_benchmark_program name source)
  add_executable(${name} "${source}")
  target_link_libraries(${name} PRIVATE birnn::birnn)
  target_compile_options(${name} PRIVATE -O3 -DNDEBUG)
  if(BIRNN_BENCHMARK_NATIVE)
    _birnn_native(${name})
  endif()
  birnn_set_warnings(${name})
endfunction()
