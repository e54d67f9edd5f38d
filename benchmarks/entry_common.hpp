// What birnn's peers-bench entries (birnn_peer_entry, birnn_train_entry) share: the
// command line of the peers-bench entry contract (see ../shared/tools/peers-bench/README.md)
// and its timing loop: `warmup` untimed calls, then single timed calls until there are
// `min_reps` samples and `min_time` seconds, or `max_reps` / `max_time` is reached.
#pragma once

#include <birnn/birnn.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

/// `--key value` or `--key=value` pairs; a `--flag` without a value reads as "1".
struct Options {
  std::map<std::string, std::string> values;
  long integer(const std::string& k, long fallback) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : std::stol(it->second);
  }
  double real(const std::string& k, double fallback) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : std::stod(it->second);
  }
  std::string text(const std::string& k, const std::string& fallback) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
};

inline Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + a + "'");
    a.erase(0, 2);
    const auto eq = a.find('=');
    if (eq != std::string::npos)
      o.values[a.substr(0, eq)] = a.substr(eq + 1);
    else if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0)
      o.values[a] = argv[++i];
    else
      o.values[a] = "1";
  }
  return o;
}

inline double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const auto lo = std::size_t(pos);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

/// The timing summary the entries print: median, quartiles and minimum in ms, and the count.
struct Timing {
  double median_ms, p25_ms, p75_ms, min_ms;
  std::size_t reps;
};

/// Times single calls of `call()` under the contract's options (defaults as peers-bench's).
template <class F>
Timing time_calls(const Options& o, F&& call) {
  const long warmup = o.integer("warmup", 2), min_reps = o.integer("min-reps", 7), max_reps = o.integer("max-reps", 2000);
  const double min_time = o.real("min-time", 1.0), max_time = o.real("max-time", 20.0);
  for (long i = 0; i < warmup; ++i) call();
  using clock = std::chrono::steady_clock;
  std::vector<double> ms;
  const auto start = clock::now();
  for (;;) {
    const auto t0 = clock::now();
    call();
    const auto t1 = clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    const double elapsed = std::chrono::duration<double>(t1 - start).count();
    const long n = long(ms.size());
    if (n >= max_reps || elapsed >= max_time) break;
    if (n >= min_reps && elapsed >= min_time) break;
  }
  return {quantile(ms, 0.5), quantile(ms, 0.25), quantile(ms, 0.75), *std::min_element(ms.begin(), ms.end()),
          ms.size()};
}

/// Names a cell type for `entry_main`'s callback.
template <class Cell>
struct CellTag {
  using type = Cell;
};

/// The `main` of an entry: parses the command line and calls `run(CellTag<Cell>{}, options,
/// "lstm" | "gru" | "rnn")` for `--cell`; returns its status, 3 for an unknown cell and 1
/// (with the message on stderr) for an exception.
template <class Run>
int entry_main(const char* program, int argc, char** argv, Run run) {
  try {
    const Options o = parse(argc, argv);
    const std::string cell = o.text("cell", "lstm");
    if (cell == "lstm") return run(CellTag<birnn::LSTM<float>>{}, o, "lstm");
    if (cell == "gru") return run(CellTag<birnn::GRU<float>>{}, o, "gru");
    if (cell == "rnn") return run(CellTag<birnn::SimpleRNN<float>>{}, o, "rnn");
    std::fprintf(stderr, "%s: unknown cell '%s' (expected lstm, gru or rnn)\n", program, cell.c_str());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace bench
