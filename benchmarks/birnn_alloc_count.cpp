// How much heap memory one call allocates, relative to the size of its output: the
// Bidirectional forward call (float32, return_sequences, merge concat, as birnn_peer_entry
// times it), the runtime Model's predict, forward_train and train_step (as
// birnn_train_entry times it), on the peers-bench workloads W1-W4 and every cell.
//
// It counts by replacing glibc's malloc family (malloc, calloc, realloc, free, memalign,
// posix_memalign, aligned_alloc) with forwarders to glibc's own __libc_* functions that add
// up the usable size of every block: Eigen allocates through std::malloc, operator new ends
// in malloc, so every allocation of the process passes through here. glibc only (Debian).
//
// For each call it prints: the bytes allocated during the call (sum over blocks), the
// number of allocations, the peak of live heap bytes during the call above the level before
// it, and the bytes held after it minus before it, each also as a multiple of the output's
// bytes (batch x time x 2 units x 4). "first" is the first call on a fresh object (it sizes
// the workspaces), "next" the second, identical call (what a loop of calls pays each time).
//
//   birnn_alloc_count [--workloads W1,W2,W3,W4] [--cells lstm,gru,rnn]

#include "train_models.hpp"
#include "workloads.hpp"

#include <birnn/birnn.hpp>

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <type_traits>

// ---- The counting allocator ------------------------------------------------------------

namespace {

std::atomic<std::size_t> allocated{0}, allocations{0}, live{0}, peak{0};

void note_alloc(void* p) noexcept {
  if (!p) return;
  const std::size_t n = malloc_usable_size(p);
  allocated.fetch_add(n, std::memory_order_relaxed);
  allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t now = live.fetch_add(n, std::memory_order_relaxed) + n;
  std::size_t p0 = peak.load(std::memory_order_relaxed);
  while (now > p0 && !peak.compare_exchange_weak(p0, now, std::memory_order_relaxed)) {
  }
}
void note_free(void* p) noexcept {
  if (p) live.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
}

}  // namespace

extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void* __libc_memalign(std::size_t, std::size_t) noexcept;
void __libc_free(void*) noexcept;

void* malloc(std::size_t n) noexcept {
  void* p = __libc_malloc(n);
  note_alloc(p);
  return p;
}
void* calloc(std::size_t count, std::size_t n) noexcept {
  void* p = __libc_calloc(count, n);
  note_alloc(p);
  return p;
}
void* realloc(void* old, std::size_t n) noexcept {
  note_free(old);
  void* p = __libc_realloc(old, n);
  if (p)
    note_alloc(p);
  else if (old && n != 0)
    note_alloc(old);  // realloc failed: the old block is still there
  return p;
}
void free(void* p) noexcept {
  note_free(p);
  __libc_free(p);
}
void* memalign(std::size_t alignment, std::size_t n) noexcept {
  void* p = __libc_memalign(alignment, n);
  note_alloc(p);
  return p;
}
void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept { return memalign(alignment, n); }
int posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
  void* p = memalign(alignment, n);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
}

// ---- The measurements ------------------------------------------------------------------

namespace {

struct Usage {
  std::size_t bytes, count, peak_above, held_after;
};

template <class F>
Usage measure(F&& call) {
  const std::size_t a0 = allocated.load(), c0 = allocations.load(), l0 = live.load();
  peak.store(l0);
  call();
  const std::size_t l1 = live.load();
  return {allocated.load() - a0, allocations.load() - c0, peak.load() - l0, l1 > l0 ? l1 - l0 : 0};
}

void print(const char* workload, const char* cell, const char* what, const char* which, const Usage& u,
           double output_bytes) {
  std::printf("%-3s %-4s %-14s %-5s %12zu B %6.2fx %6zu allocs  peak +%12zu B %6.2fx  held +%12zu B %6.2fx\n", workload,
              cell, what, which, u.bytes, double(u.bytes) / output_bytes, u.count, u.peak_above,
              double(u.peak_above) / output_bytes, u.held_after, double(u.held_after) / output_bytes);
}

template <class Cell>
void run(const bench::Workload& w, const char* cell) {
  const long batch = w.batch, time = w.time, input = w.input, units = w.units;
  const double output_bytes = double(batch) * double(time) * 2.0 * double(units) * sizeof(float);
  const auto x = bench::input_sequence(batch, time, input);
  {
    typename Cell::Config config;
    config.units = units;
    birnn::Bidirectional<Cell, birnn::merge::concat, birnn::sequences::all> bi(input, config);
    bi.set_weights(bench::bidirectional_weights<Cell>(input, units, std::is_same_v<Cell, birnn::GRU<float>>));
    birnn::Sequence<float> y;
    // `y = forward(x)`: the old output is freed after the new one is built, as in a loop.
    print(w.id, cell, "forward", "first", measure([&] { y = bi.forward(x); }), output_bytes);
    print(w.id, cell, "forward", "next", measure([&] { y = bi.forward(x); }), output_bytes);
    // `forward_into(x, y)`: the same call into the output of the calls above, kept.
    print(w.id, cell, "forward_into", "next", measure([&] { bi.forward_into(x, y); }), output_bytes);
  }
  {
    auto model = bench::head_model<Cell>(time, input, units);
    const auto y = bench::step_targets(batch, time);
    std::vector<birnn::Value<float>> out;
    print(w.id, cell, "predict", "first", measure([&] { out = model.predict(x); }), output_bytes);
    print(w.id, cell, "predict", "next", measure([&] { out = model.predict(x); }), output_bytes);
    print(w.id, cell, "forward_train", "first", measure([&] { out = model.forward_train(x); }), output_bytes);
    print(w.id, cell, "forward_train", "next", measure([&] { out = model.forward_train(x); }), output_bytes);
    out.clear();
    float loss = 0;
    print(w.id, cell, "train_step", "first", measure([&] { loss = model.train_step(x, nullptr, y); }), output_bytes);
    print(w.id, cell, "train_step", "next", measure([&] { loss = model.train_step(x, nullptr, y); }), output_bytes);
    if (!(loss > 0)) std::printf("unexpected loss %g\n", double(loss));
  }
}

bool listed(const std::string& list, const std::string& item) {
  return list.empty() || ("," + list + ",").find("," + item + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string workloads, cells;
    for (int i = 1; i + 1 < argc; i += 2) {
      if (std::strcmp(argv[i], "--workloads") == 0) workloads = argv[i + 1];
      else if (std::strcmp(argv[i], "--cells") == 0) cells = argv[i + 1];
    }
    std::printf("bytes allocated per call (and as a multiple of the output's bytes, batch x time x 2 units x 4)\n");
    for (const auto& w : bench::workloads) {
      if (!listed(workloads, w.id)) continue;
      if (listed(cells, "lstm")) run<birnn::LSTM<float>>(w, "lstm");
      if (listed(cells, "gru")) run<birnn::GRU<float>>(w, "gru");
      if (listed(cells, "rnn")) run<birnn::SimpleRNN<float>>(w, "rnn");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "birnn_alloc_count: %s\n", e.what());
    return 1;
  }
}
