#pragma once
/// @file
/// `train::Progress`: the per-epoch progress line of `Model::fit` and `Model::evaluate`, in
/// the style of Keras's `verbose=1` bar ("12/63 [=====>......] - 2s 31ms/step - loss: 0.4213").
/// On a terminal the bar is redrawn in place after every batch; elsewhere (a pipe, a file,
/// CI) it stays quiet unless asked for one line per epoch (`Verbosity::epoch`, Keras's
/// `verbose=2`).

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace birnn::train {

/// How much `fit` and `evaluate` print.
enum class Verbosity {
  automatic,  ///< `bar` when standard output is a terminal, else `silent` (the default)
  silent,     ///< nothing (Keras `verbose=0`)
  bar,        ///< a bar redrawn after every batch and a final line per epoch (Keras `verbose=1`)
  epoch,      ///< one line per epoch (Keras `verbose=2`)
};

/// Whether standard output is a terminal.
inline bool stdout_is_terminal() noexcept {
#if defined(__unix__) || defined(__APPLE__)
  return ::isatty(STDOUT_FILENO) == 1;
#else
  return false;
#endif
}

/// The progress of one epoch (or one evaluation) of `steps` batches.
class Progress {
 public:
  Progress(std::ostream& os, Verbosity v, std::size_t steps)
      : os_(os), verbosity_(resolve(v)), steps_(steps), start_(std::chrono::steady_clock::now()) {}

  /// After batch `done` (1-based) with the running metrics so far.
  void update(std::size_t done, const std::vector<std::pair<std::string, double>>& metrics) {
    if (verbosity_ != Verbosity::bar) return;
    os_ << '\r' << line(done, metrics, false) << std::flush;
  }
  /// At the end, with the epoch's metrics (training and validation).
  void finish(const std::vector<std::pair<std::string, double>>& metrics) {
    if (verbosity_ == Verbosity::silent || verbosity_ == Verbosity::automatic) return;
    if (verbosity_ == Verbosity::bar) os_ << '\r';
    os_ << line(steps_, metrics, true) << '\n' << std::flush;
  }
  /// Seconds since the start.
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  bool prints() const noexcept { return verbosity_ == Verbosity::bar || verbosity_ == Verbosity::epoch; }

  static Verbosity resolve(Verbosity v) noexcept {
    if (v != Verbosity::automatic) return v;
    return stdout_is_terminal() ? Verbosity::bar : Verbosity::silent;
  }

 private:
  std::string line(std::size_t done, const std::vector<std::pair<std::string, double>>& metrics, bool final) const {
    std::ostringstream s;
    const int digits = static_cast<int>(std::to_string(steps_).size());
    s << std::setw(digits) << done << '/' << steps_;
    if (verbosity_ == Verbosity::bar) {
      const std::size_t width = 30;
      const std::size_t filled = steps_ ? done * width / steps_ : width;
      s << " [";
      for (std::size_t k = 0; k < width; ++k) s << (k < filled ? '=' : k == filled ? '>' : '.');
      s << ']';
    }
    const double t = seconds();
    const double per_step = done ? t / static_cast<double>(done) : 0.0;
    s << " - " << std::fixed << std::setprecision(0) << t << "s " << per_step * 1000 << "ms/step";
    s << std::setprecision(4);
    for (const auto& [name, value] : metrics) s << " - " << name << ": " << value;
    if (!final) s << "   ";
    return s.str();
  }

  std::ostream& os_;
  Verbosity verbosity_;
  std::size_t steps_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace birnn::train
