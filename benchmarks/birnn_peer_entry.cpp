// birnn's entry for ../shared/tools/peers-bench: times single forward calls of a
// Bidirectional layer (float32, return_sequences, merge concat, zero initial state) on the
// workload given on the command line, and prints one JSON line with the median time per
// call, the checksum and the probe values the harness compares across peers.
//
//   birnn_peer_entry --cell lstm|gru|rnn --batch B --time T --input I --units U
//                    --threads 1|2 [--warmup N --min-reps N --min-time S --max-reps N --max-time S]
//
// --threads 2 runs the two directions on two threads (birnn::Worker); 1 runs them one after
// the other. Exit status 3: a cell this entry does not know.

#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

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

Options parse(int argc, char** argv) {
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

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const auto lo = std::size_t(pos);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

template <class Cell>
int run(const Options& o, const char* cell_name) {
  const long batch = o.integer("batch", 32), time = o.integer("time", 100), input = o.integer("input", 32),
             units = o.integer("units", 32), threads = o.integer("threads", 1);
  const long warmup = o.integer("warmup", 2), min_reps = o.integer("min-reps", 7), max_reps = o.integer("max-reps", 2000);
  const double min_time = o.real("min-time", 1.0), max_time = o.real("max-time", 20.0);

  typename Cell::Config config;
  config.units = units;
  birnn::Bidirectional<Cell, birnn::merge::concat, birnn::sequences::all> bi(input, config);
  bi.set_weights(bench::bidirectional_weights<Cell>(input, units, std::is_same_v<Cell, birnn::GRU<float>>));
  const auto x = bench::input_sequence(batch, time, input);
  std::optional<birnn::Worker> worker;
  if (threads >= 2) {
    worker.emplace();
    bi.set_worker(&*worker);
  }

  birnn::Sequence<float> y;
  for (long i = 0; i < warmup; ++i) y = bi.forward(x);
  using clock = std::chrono::steady_clock;
  std::vector<double> ms;
  const auto start = clock::now();
  for (;;) {
    const auto t0 = clock::now();
    y = bi.forward(x);
    const auto t1 = clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    const double elapsed = std::chrono::duration<double>(t1 - start).count();
    const long n = long(ms.size());
    if (n >= max_reps || elapsed >= max_time) break;
    if (n >= min_reps && elapsed >= min_time) break;
  }

  double checksum = 0;
  for (Eigen::Index i = 0; i < y.matrix().size(); ++i) checksum += double(y.data()[i]);
  // The probe: Y[batch-1, t, d*units + j] for t in {0, time-1}, both directions, j < 4.
  std::string probe;
  for (long t : {0L, time - 1})
    for (long d = 0; d < 2; ++d)
      for (long j = 0; j < std::min(units, 4L); ++j) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.7g", probe.empty() ? "" : ", ", double(y(batch - 1, t, d * units + j)));
        probe += buf;
      }
  std::printf(
      "{\"peer\": \"birnn\", \"mode\": \"infer\", \"cell\": \"%s\", \"batch\": %ld, \"time\": %ld, \"input\": %ld, "
      "\"units\": %ld, \"threads\": %ld, \"median_ms\": %.6g, \"p25_ms\": %.6g, \"p75_ms\": %.6g, \"min_ms\": %.6g, "
      "\"reps\": %zu, \"checksum\": %.9g, \"impl\": \"birnn %d.%d.%d, %s\", \"probe\": [%s]}\n",
      cell_name, batch, time, input, units, threads, quantile(ms, 0.5), quantile(ms, 0.25), quantile(ms, 0.75),
      *std::min_element(ms.begin(), ms.end()), ms.size(), checksum, BIRNN_VERSION_MAJOR, BIRNN_VERSION_MINOR,
      BIRNN_VERSION_PATCH, threads >= 2 ? "directions on 2 threads" : "1 thread", probe.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    const std::string cell = o.text("cell", "lstm");
    if (cell == "lstm") return run<birnn::LSTM<float>>(o, "lstm");
    if (cell == "gru") return run<birnn::GRU<float>>(o, "gru");
    if (cell == "rnn") return run<birnn::SimpleRNN<float>>(o, "rnn");
    std::fprintf(stderr, "birnn_peer_entry: unknown cell '%s' (expected lstm, gru or rnn)\n", cell.c_str());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "birnn_peer_entry: %s\n", e.what());
    return 1;
  }
}
