#pragma once
/// @file
/// `Worker`: one extra thread that runs a task beside the caller, so that a `Bidirectional`
/// layer can run its two directions at the same time on two cores. The directions share
/// nothing but the input, so the results are identical with or without a worker.
///
/// A worker is opt-in: a layer starts no thread of its own. Give one worker to any number of
/// layers (`layer.set_worker(&worker)`); a worker runs one task at a time, so layers that
/// share it must not be called from several threads at once. The worker spins briefly
/// before it sleeps, because a time step of a small layer lasts microseconds and a wake-up
/// from sleep costs about as much.

#include <Eigen/Core>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace birnn {

/// A second thread for the backward direction of `Bidirectional` layers.
class Worker {
 public:
  /// Starts the thread. `spin` is how long it polls for work before it sleeps.
  explicit Worker(std::chrono::microseconds spin = std::chrono::microseconds(200)) : spin_(spin) {
    Eigen::initParallel();  // Eigen's cache-size statics, set before two threads use its products
    thread_ = std::thread([this] { loop(); });
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      state_.store(kPending, std::memory_order_release);
    }
    wake_.notify_one();
    thread_.join();
  }

  /// Runs `f()` on the worker thread while `g()` runs on this one; returns when both are done.
  /// Allocates nothing. An exception thrown by `f` is rethrown here (after `g` finished).
  template <class F, class G>
  void run_pair(F& f, G& g) {
    task_ = [](void* p) { (*static_cast<F*>(p))(); };
    context_ = &f;
    error_ = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      state_.store(kPending, std::memory_order_release);
    }
    wake_.notify_one();
    std::exception_ptr mine;
    try {
      g();
    } catch (...) {
      mine = std::current_exception();
    }
    while (state_.load(std::memory_order_acquire) != kDone) std::this_thread::yield();
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  enum : int { kIdle, kPending, kDone };

  void loop() {
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + spin_;
      while (state_.load(std::memory_order_acquire) != kPending && std::chrono::steady_clock::now() < until) {
      }
      if (state_.load(std::memory_order_acquire) != kPending) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return state_.load(std::memory_order_acquire) == kPending; });
      }
      if (stop_) return;
      try {
        task_(context_);
      } catch (...) {
        error_ = std::current_exception();
      }
      state_.store(kDone, std::memory_order_release);
    }
  }

  std::chrono::microseconds spin_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> state_{kIdle};
  bool stop_ = false;
  void (*task_)(void*) = nullptr;
  void* context_ = nullptr;
  std::exception_ptr error_;
};

}  // namespace birnn
