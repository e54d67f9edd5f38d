#pragma once
// message_of<E>(f): the message of the E that f throws, or a text saying what happened
// instead, so that a test can assert both the type and the message in one EXPECT_THAT.

#include <exception>
#include <string>

namespace birnn_test {

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

}  // namespace birnn_test
