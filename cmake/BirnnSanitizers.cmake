# birnn_set_sanitizers(<target>)
#
# When BIRNN_SANITIZE is ON, builds <target> with AddressSanitizer and UBSan. Every
# undefined-behaviour report aborts (-fno-sanitize-recover=all) so that ctest sees a
# failure instead of a line in the log. Used for tests and examples only; the library
# target stays free of it.
include_guard(GLOBAL)

function(birnn_set_sanitizers target)
  if(NOT BIRNN_SANITIZE)
    return()
  endif()
  if(MSVC)
    message(WARNING "birnn: BIRNN_SANITIZE is only implemented for GCC and Clang")
    return()
  endif()
  set(_flags -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_compile_options(${target} PRIVATE ${_flags})
  target_link_options(${target} PRIVATE ${_flags})
endfunction()
