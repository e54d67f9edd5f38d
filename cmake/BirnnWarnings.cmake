# birnn_set_warnings(<target>)
#
# Turns on the project's warning set for one of birnn's own targets (tests, examples,
# benchmarks, header checks), and -Werror when BIRNN_WERROR is ON. The birnn interface
# target itself never gets these: consumers choose their own flags.
#
# Eigen, GoogleTest, benchmark and nlohmann_json come in as imported targets, whose include
# directories are treated as system directories, so their own warnings stay silent.
include_guard(GLOBAL)

function(birnn_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive- $<$<BOOL:${BIRNN_WERROR}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wpedantic
      $<$<BOOL:${BIRNN_WERROR}>:-Werror>)
  endif()
endfunction()
