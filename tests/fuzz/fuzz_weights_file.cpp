// libFuzzer target: birnn's own weights format (BIRNNW01, io/weights_file.hpp), read from
// memory by io::parse_weights, in both precisions. The path reader io::load_weights reads
// the file whole and calls the same parser.
#include "fuzz_common.hpp"

#include <birnn/io/weights_file.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  birnn_fuzz::expect_only_birnn_errors("io::parse_weights<float>", [&] {
    const auto w = birnn::io::parse_weights<float>(data, size, "fuzz input");
    for (const auto& t : w)
      if (static_cast<Eigen::Index>(t.values.size()) != t.size()) std::abort();  // a tensor must hold its shape
  });
  birnn_fuzz::expect_only_birnn_errors("io::parse_weights<double>",
                                       [&] { (void)birnn::io::parse_weights<double>(data, size, "fuzz input"); });
  return 0;
}
