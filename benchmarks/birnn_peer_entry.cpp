// birnn's entry for ../shared/tools/peers-bench: times single forward calls of a
// Bidirectional layer (float32, return_sequences, merge concat, zero initial state) on the
// workload given on the command line, and prints one JSON line with the median time per
// call, the checksum and the probe values the harness compares across peers.
//
//   birnn_peer_entry --cell lstm|gru|rnn --batch B --time T --input I --units U
//                    --threads 1|2 [--output reuse|new]
//                    [--warmup N --min-reps N --min-time S --max-reps N --max-time S]
//
// --threads 2 runs the two directions on two threads (birnn::Worker); 1 runs them one after
// the other. --output reuse (the default) times `bi.forward_into(x, y)` into one output kept
// across calls, as the oneDNN peer writes into one preallocated destination; --output new
// times `y = bi.forward(x)`, a new output per call. Exit status 2: a bad option value, 3: a
// cell this entry does not know.

#include "entry_common.hpp"
#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

template <class Cell>
int run(const bench::Options& o, const char* cell_name) {
  const long batch = o.integer("batch", 32), time = o.integer("time", 100), input = o.integer("input", 32),
             units = o.integer("units", 32), threads = o.integer("threads", 1);
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

  const std::string output = o.text("output", "reuse");
  if (output != "reuse" && output != "new") {
    std::fprintf(stderr, "birnn_peer_entry: --output: expected reuse or new, got '%s'\n", output.c_str());
    return 2;
  }
  birnn::Sequence<float> y;
  const bench::Timing timing = output == "new" ? bench::time_calls(o, [&] { y = bi.forward(x); })
                                               : bench::time_calls(o, [&] { bi.forward_into(x, y); });

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
      "\"reps\": %zu, \"checksum\": %.9g, \"impl\": \"birnn %d.%d.%d, %s, %s output\", \"probe\": [%s]}\n",
      cell_name, batch, time, input, units, threads, timing.median_ms, timing.p25_ms, timing.p75_ms, timing.min_ms,
      timing.reps, checksum, BIRNN_VERSION_MAJOR, BIRNN_VERSION_MINOR,
      BIRNN_VERSION_PATCH, threads >= 2 ? "directions on 2 threads" : "1 thread",
      output == "new" ? "new" : "reused", probe.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::entry_main("birnn_peer_entry", argc, argv, [](auto cell, const bench::Options& o, const char* name) {
    return run<typename decltype(cell)::type>(o, name);
  });
}
