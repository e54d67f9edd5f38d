#pragma once
// Shared by birnn's libFuzzer targets (each fuzz_*.cpp is one translation unit that includes
// this). The contract every target checks: on any input, birnn returns normally or throws
// one of its documented exceptions (birnn::error and its subclasses, errors.hpp). Any other
// exception, a crash, a leak or a sanitizer report is a finding.

#include <birnn/errors.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <typeinfo>
#include <vector>

namespace birnn_fuzz {

/// Runs `f`; birnn::error is the documented outcome for bad input, anything else aborts
/// (libFuzzer then saves the input as a crash).
template <class F>
void expect_only_birnn_errors(const char* what, F&& f) {
  try {
    f();
  } catch (const birnn::error&) {
    // documented: bad input
  } catch (const std::exception& e) {
    std::fprintf(stderr, "birnn fuzz: %s threw an undocumented %s: %s\n", what, typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "birnn fuzz: %s threw something that is not a std::exception\n", what);
    std::abort();
  }
}

/// Reads numbers off the front of the fuzzer's bytes; zeros once they run out.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  bool flag() { return byte() & 1; }
  /// A number in [lo, hi].
  int in(int lo, int hi) { return lo + static_cast<int>(byte() % static_cast<unsigned>(hi - lo + 1)); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(byte()) << (8 * k);
    return v;
  }
  /// A float: mostly small values, sometimes any bit pattern (NaN, inf, subnormals, huge).
  float value() {
    const std::uint8_t kind = byte();
    if (kind < 200) return static_cast<float>(static_cast<int>(byte()) - 128) / 32.0f;
    const std::uint32_t bits = u32();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::size_t left() const { return size_ - at_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace birnn_fuzz
