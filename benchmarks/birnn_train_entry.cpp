// birnn's training entry for ../shared/tools/peers-bench: the command line of the peers-bench
// entry contract (as birnn_peer_entry), but each timed call is ONE training step of the
// model the `torch-train` peer times (src/torch_rnn.py there): a runtime birnn::Model
// Bidirectional(RNN(units, return_sequences=True), merge concat) -> Dense(2*units -> 1,
// linear) on every step, binary cross-entropy from logits against fixed 0/1 targets, Adam
// (Keras defaults, lr 1e-3); one `model.train_step(x, nullptr, y)` = forward (recorded),
// loss, backpropagation through time, Adam update. Prints one JSON line with the median time
// per step; `loss_first` / `loss_last` are the losses of the first and the last step, and
// `checksum` is the last loss (so a non-finite loss is flagged by the harness).
//
//   birnn_train_entry --cell lstm|gru|rnn --batch B --time T --input I --units U
//                     --threads 1|2 [--warmup N --min-reps N --min-time S --max-reps N --max-time S]
//
// --threads 2 gives the model a birnn::Worker (the two directions on two threads, in the
// forward and in the backward pass); 1 runs them one after the other. Exit status 3: a cell
// this entry does not know.

#include "entry_common.hpp"
#include "train_models.hpp"
#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>

namespace {

template <class Cell>
int run(const bench::Options& o, const char* cell_name) {
  const long batch = o.integer("batch", 32), time = o.integer("time", 100), input = o.integer("input", 32),
             units = o.integer("units", 32), threads = o.integer("threads", 1);

  birnn::Model<float> model = bench::head_model<Cell>(time, input, units);
  const auto x = bench::input_sequence(batch, time, input);
  const auto y = bench::step_targets(batch, time);
  std::optional<birnn::Worker> worker;
  if (threads >= 2) {
    worker.emplace();
    model.set_worker(&*worker);
  }

  std::optional<double> first;
  double loss = 0;
  const bench::Timing timing = bench::time_calls(o, [&] {
    loss = double(model.train_step(x, nullptr, y));
    if (!first) first = loss;
  });

  std::printf(
      "{\"peer\": \"birnn-train\", \"mode\": \"train\", \"cell\": \"%s\", \"batch\": %ld, \"time\": %ld, "
      "\"input\": %ld, \"units\": %ld, \"threads\": %ld, \"median_ms\": %.6g, \"p25_ms\": %.6g, \"p75_ms\": %.6g, "
      "\"min_ms\": %.6g, \"reps\": %zu, \"loss_first\": %.7g, \"loss_last\": %.7g, \"checksum\": %.9g, "
      "\"impl\": \"birnn %d.%d.%d Model::train_step, Adam, %s\"}\n",
      cell_name, batch, time, input, units, threads, timing.median_ms, timing.p25_ms, timing.p75_ms, timing.min_ms,
      timing.reps, first.value_or(0.0), loss, loss, BIRNN_VERSION_MAJOR, BIRNN_VERSION_MINOR, BIRNN_VERSION_PATCH,
      threads >= 2 ? "directions on 2 threads" : "1 thread");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return bench::entry_main("birnn_train_entry", argc, argv, [](auto cell, const bench::Options& o, const char* name) {
    return run<typename decltype(cell)::type>(o, name);
  });
}
