#pragma once
/// @file
/// Keras's optimizers SGD, RMSprop and Adam, with its gradient clipping (`clipnorm`,
/// `global_clipnorm`, `clipvalue`). Keras counterparts: `keras.optimizers.SGD`, `RMSprop`,
/// `Adam` and `keras.optimizers.get(name)`, with the update formulas of Keras 3
/// (`keras/src/optimizers/{sgd,rmsprop,adam}.py`) and its `base_optimizer` clipping.
///
/// An optimizer updates a list of weights in Keras `get_weights()` order and shapes from their
/// gradients (a `train::Gradients::weights` list). The first `apply` creates the slots
/// (momenta, velocities) with the weights' shapes, zero-filled, as Keras's `build` does; every
/// call checks the weights and gradients against them. The hyperparameters are held as double
/// and cast to Scalar where Keras casts them to the variable's dtype; constants such as
/// `1 - beta_1` are formed in double first, as in Keras's Python.
///
/// Clipping, applied to a copy of the gradients before the update, exactly as Keras computes it:
/// - `clipnorm c`: each gradient tensor `g * c / max(||g||, c)`.
/// - `global_clipnorm c`: every gradient times `c * min(1 / N, 1 / c)` with N the norm of all
///   gradients together (NaN gradients when N is not finite, as in Keras).
/// - `clipvalue c`: each component clamped to `[-c, c]`.
/// At most one of them may be set (Keras raises otherwise); as in Keras, a value that is not
/// positive turns clipping off.

#include "birnn/errors.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn::train {

/// Keras's gradient clipping arguments, common to every optimizer (all unset by default).
struct ClipOptions {
  /// Clip each gradient tensor to this L2 norm.
  std::optional<double> clipnorm;
  /// Clamp each gradient component to `[-clipvalue, clipvalue]`.
  std::optional<double> clipvalue;
  /// Clip all gradients together to this global L2 norm.
  std::optional<double> global_clipnorm;
};

/// `keras.optimizers.SGD` arguments, with Keras's defaults.
struct SGDOptions : ClipOptions {
  double learning_rate = 0.01;
  /// In [0, 1]; 0 is plain gradient descent (no slot).
  double momentum = 0.0;
  bool nesterov = false;
};

/// `keras.optimizers.RMSprop` arguments, with Keras's defaults.
struct RMSpropOptions : ClipOptions {
  double learning_rate = 0.001;
  /// Discount of the running mean of squared gradients.
  double rho = 0.9;
  /// Momentum of the increments; 0 means none (no slot).
  double momentum = 0.0;
  double epsilon = 1e-7;
  /// Divide by the estimated variance instead of the second moment.
  bool centered = false;
};

/// `keras.optimizers.Adam` arguments, with Keras's defaults.
struct AdamOptions : ClipOptions {
  double learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  /// Keras's "epsilon hat", added to `sqrt(v)` (not bias-corrected).
  double epsilon = 1e-7;
  bool amsgrad = false;
};

}  // namespace birnn::train

namespace birnn::detail::train_optimizers {

template <class Scalar>
using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

/// Keras's `_clip_by_norm`: `g * c / max(||g||, c)`; returns the norm before clipping.
template <class Scalar, class Derived>
Scalar clip_by_norm(Eigen::ArrayBase<Derived>& g, Scalar c) {
  const Scalar l2sum = g.square().sum();
  const Scalar l2norm = l2sum > 0 ? std::sqrt(l2sum) : l2sum;
  g = (g * c) / std::max(l2norm, c);
  return l2norm;
}

/// Keras's `clip_by_global_norm` on arrays; returns the global norm before clipping.
template <class Scalar>
Scalar clip_by_global_norm(std::vector<Array<Scalar>>& grads, double max_norm) {
  Scalar squared = 0;
  for (const auto& g : grads) squared += g.square().sum();
  const Scalar norm = std::sqrt(squared);
  const Scalar c = static_cast<Scalar>(max_norm);
  // scale_for_finite = c * min(1 / norm, 1 / c); plus (norm - norm), which is NaN for a
  // non-finite norm (std::min keeps a NaN first argument, as ops.minimum does).
  const Scalar scale = c * std::min(Scalar(1) / norm, static_cast<Scalar>(1.0 / max_norm)) + (norm - norm);
  for (auto& g : grads) g *= scale;
  return norm;
}

template <class Scalar>
Array<Scalar> to_array(const Tensor<Scalar>& t) {
  return Eigen::Map<const Array<Scalar>>(t.values.data(), static_cast<Eigen::Index>(t.values.size()));
}

inline void require_positive(const char* fn, const char* what, double v) {
  if (!(v > 0)) throw value_error(cat("birnn::train::", fn, ": ", what, ": expected a positive number, got ", v));
}

template <class Scalar>
void check_values(const std::string& who, const char* what, std::size_t i, const Tensor<Scalar>& t) {
  if (static_cast<Eigen::Index>(t.values.size()) != t.size())
    throw weight_error(cat(who, ": ", what, " ", i, ": shape ", shape_string(t.shape), " needs ", t.size(),
                           " values, got ", t.values.size()));
}

}  // namespace birnn::detail::train_optimizers

namespace birnn::train {

/// The L2 norm of all `values` together (Keras's `global_norm`).
template <class Scalar>
Scalar global_norm(const std::vector<Tensor<Scalar>>& values) {
  Scalar squared = 0;
  for (const auto& t : values)
    for (Scalar v : t.values) squared += v * v;
  return std::sqrt(squared);
}

/// Keras's `clip_by_global_norm`: scales every gradient by `max_norm * min(1 / N, 1 / max_norm)`,
/// N the global norm, in place. Returns N, the norm before clipping.
/// @throws value_error when `max_norm` is not positive.
template <class Scalar>
Scalar clip_by_global_norm(std::vector<Tensor<Scalar>>& grads, double max_norm) {
  namespace d = birnn::detail::train_optimizers;
  d::require_positive("clip_by_global_norm", "max_norm", max_norm);
  std::vector<d::Array<Scalar>> a;
  a.reserve(grads.size());
  for (const auto& g : grads) a.push_back(d::to_array(g));
  const Scalar norm = d::clip_by_global_norm<Scalar>(a, max_norm);
  for (std::size_t i = 0; i < grads.size(); ++i)
    std::copy(a[i].data(), a[i].data() + a[i].size(), grads[i].values.begin());
  return norm;
}

/// Keras's per-tensor `clipnorm`: `g * max_norm / max(||g||, max_norm)` in place; returns `||g||`.
/// @throws value_error when `max_norm` is not positive.
template <class Scalar>
Scalar clip_by_norm(Tensor<Scalar>& grad, double max_norm) {
  namespace d = birnn::detail::train_optimizers;
  d::require_positive("clip_by_norm", "max_norm", max_norm);
  Eigen::Map<d::Array<Scalar>> g(grad.values.data(), static_cast<Eigen::Index>(grad.values.size()));
  return d::clip_by_norm(g, static_cast<Scalar>(max_norm));
}

/// Keras's `clipvalue`: each component clamped to `[-limit, limit]`, in place.
/// @throws value_error when `limit` is not positive.
template <class Scalar>
void clip_by_value(Tensor<Scalar>& grad, double limit) {
  birnn::detail::train_optimizers::require_positive("clip_by_value", "limit", limit);
  const Scalar v = static_cast<Scalar>(limit);
  for (Scalar& x : grad.values) x = std::clamp(x, -v, v);
}

/// The optimizer interface `Model::compile` holds: `apply` one step, Keras's `iterations` and
/// `learning_rate`.
/// @tparam Scalar  float or double.
template <class Scalar>
class Optimizer {
 public:
  /// One slot (or gradient) as a flat array in row-major order.
  using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

  virtual ~Optimizer() = default;

  /// One optimizer step: clips a copy of `grads`, updates `params` in place and counts the
  /// iteration (Keras's `apply(grads, trainable_variables)`). On the first call the slots are
  /// created for the shapes of `params`.
  /// @throws weight_error when the lists differ in length, a gradient's shape differs from its
  /// weight's, a tensor's value count does not match its shape, or (after the first call) the
  /// weights differ in number or shape from the slots. Nothing changes then.
  void apply(std::vector<Tensor<Scalar>>& params, const std::vector<Tensor<Scalar>>& grads) {
    namespace d = birnn::detail::train_optimizers;
    using birnn::detail::cat;
    const std::string who = "birnn::train::" + name_;
    if (params.size() != grads.size())
      throw weight_error(cat(who, ": gradients: expected ", params.size(), " (one per weight), got ", grads.size()));
    if (built_ && params.size() != shapes_.size())
      throw weight_error(cat(who, ": weights: expected ", shapes_.size(), " (as when the slots were built), got ",
                             params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
      d::check_values(who, "weight", i, params[i]);
      d::check_values(who, "gradient", i, grads[i]);
      if (built_ && params[i].shape != shapes_[i])
        throw weight_error(cat(who, ": weight ", i, ": expected shape ", shape_string(shapes_[i]),
                               " (its slots' shape), got ", shape_string(params[i].shape)));
      if (grads[i].shape != params[i].shape)
        throw weight_error(cat(who, ": gradient ", i, ": expected shape ", shape_string(params[i].shape),
                               " (its weight's shape), got ", shape_string(grads[i].shape)));
    }
    if (!built_) build(params);

    std::vector<Array> g;
    g.reserve(grads.size());
    for (const auto& t : grads) g.push_back(d::to_array(t));
    clip(g);

    const Scalar lr = static_cast<Scalar>(learning_rate_);
    for (std::size_t i = 0; i < params.size(); ++i) {
      Eigen::Map<Array> variable(params[i].values.data(), static_cast<Eigen::Index>(params[i].values.size()));
      update_step(variable, g[i], slots_[i], lr);
    }
    ++iterations_;
  }

  /// The number of steps applied (Keras's `optimizer.iterations`).
  std::int64_t iterations() const noexcept { return iterations_; }
  /// The learning rate of the next step.
  double learning_rate() const noexcept { return learning_rate_; }
  /// Sets the learning rate of the following steps (Keras's `optimizer.learning_rate = lr`).
  /// @throws config_error when `lr` is not finite.
  void set_learning_rate(double lr) {
    check_learning_rate(name_, lr);
    learning_rate_ = lr;
  }
  /// Keras's default optimizer name: "SGD", "rmsprop" or "adam".
  const std::string& name() const noexcept { return name_; }
  /// The clipping arguments.
  const ClipOptions& clipping() const noexcept { return clip_; }

  /// Whether the slots exist (after the first `apply`).
  bool built() const noexcept { return built_; }
  /// The slots kept for each weight, in Keras's order, e.g. {"momentum", "velocity"} for Adam.
  const std::vector<std::string>& slot_names() const noexcept { return slot_names_; }
  /// Slot `slot_name` of weight `index`, with the weight's shape.
  /// @throws config_error for an unknown slot name, or before the first `apply`;
  /// weight_error for an index past the weights.
  Tensor<Scalar> slot(const std::string& slot_name, std::size_t index) const {
    using birnn::detail::cat;
    const std::string who = "birnn::train::" + name_;
    const auto it = std::find(slot_names_.begin(), slot_names_.end(), slot_name);
    if (it == slot_names_.end())
      throw config_error(cat(who, ": slot '", slot_name, "': this optimizer has no such slot"));
    if (!built_) throw config_error(cat(who, ": slot '", slot_name, "': the slots are built by the first apply"));
    if (index >= shapes_.size())
      throw weight_error(
          cat(who, ": slot '", slot_name, "' index: expected less than ", shapes_.size(), ", got ", index));
    const Array& a = slots_[index][static_cast<std::size_t>(it - slot_names_.begin())];
    return Tensor<Scalar>(shapes_[index], std::vector<Scalar>(a.data(), a.data() + a.size()));
  }

  /// What `apply` changes besides the weights: the iteration count and the slots. `fit` keeps
  /// the state of its last good epoch and gives it back when an epoch fails.
  struct State {
    std::int64_t iterations = 0;
    bool built = false;
    std::vector<std::vector<Eigen::Index>> shapes;
    std::vector<std::vector<Array>> slots;  // [weight][slot]
  };
  State state() const { return {iterations_, built_, shapes_, slots_}; }
  /// @throws config_error for a state whose slots are not this optimizer's (nothing changes then).
  void set_state(State s) {
    for (const auto& w : s.slots)
      if (w.size() != slot_names_.size() || s.slots.size() != s.shapes.size())
        throw config_error(birnn::detail::cat("birnn::train::", name_, ": set_state: slots per weight: expected ",
                                              slot_names_.size(), ", got ", w.size()));
    iterations_ = s.iterations;
    built_ = s.built;
    shapes_ = std::move(s.shapes);
    slots_ = std::move(s.slots);
  }

 protected:
  /// @throws config_error for a non-finite learning rate or more than one clipping argument.
  Optimizer(std::string name, double learning_rate, const ClipOptions& clip, std::vector<std::string> slot_names)
      : name_(std::move(name)), learning_rate_(learning_rate), clip_(clip), slot_names_(std::move(slot_names)) {
    check_learning_rate(name_, learning_rate);
    const int set = int(clip.clipnorm.has_value()) + int(clip.clipvalue.has_value()) +
                    int(clip.global_clipnorm.has_value());
    if (set > 1)
      throw config_error(birnn::detail::cat("birnn::train::", name_,
                                            ": clipping: expected at most one of clipnorm, clipvalue and "
                                            "global_clipnorm, got ",
                                            set));
  }

  /// Keras's `update_step` for one weight: `variable` and `gradient` flat in row-major order,
  /// `slots` in `slot_names()` order, `lr` the learning rate cast to Scalar.
  virtual void update_step(Eigen::Map<Array>& variable, const Array& gradient, std::vector<Array>& slots,
                           Scalar lr) = 0;

 private:
  static void check_learning_rate(const std::string& name, double lr) {
    if (!std::isfinite(lr))
      throw config_error(
          birnn::detail::cat("birnn::train::", name, ": learning_rate: expected a finite number, got ", lr));
  }

  void build(const std::vector<Tensor<Scalar>>& params) {
    shapes_.clear();
    slots_.clear();
    for (const auto& p : params) {
      shapes_.push_back(p.shape);
      slots_.emplace_back(slot_names_.size(), Array::Zero(static_cast<Eigen::Index>(p.values.size())));
    }
    built_ = true;
  }

  /// Keras's `_clip_gradients`: the first argument that is set and positive wins.
  void clip(std::vector<Array>& g) const {
    namespace d = birnn::detail::train_optimizers;
    if (clip_.clipnorm && *clip_.clipnorm > 0) {
      for (auto& a : g) d::clip_by_norm(a, static_cast<Scalar>(*clip_.clipnorm));
    } else if (clip_.global_clipnorm && *clip_.global_clipnorm > 0) {
      d::clip_by_global_norm<Scalar>(g, *clip_.global_clipnorm);
    } else if (clip_.clipvalue && *clip_.clipvalue > 0) {
      const Scalar v = static_cast<Scalar>(*clip_.clipvalue);
      for (auto& a : g) a = a.max(-v).min(v);
    }
  }

  std::string name_;
  double learning_rate_;
  ClipOptions clip_;
  std::vector<std::string> slot_names_;
  std::int64_t iterations_ = 0;
  bool built_ = false;
  std::vector<std::vector<Eigen::Index>> shapes_;
  std::vector<std::vector<Array>> slots_;  // [weight][slot]
};

/// Keras's SGD: without momentum `w -= lr g`; with momentum `v = momentum v - lr g`, then
/// `w += v`, or with Nesterov `w += momentum v - lr g`.
template <class Scalar>
class SGD : public Optimizer<Scalar> {
 public:
  using typename Optimizer<Scalar>::Array;

  /// @throws config_error for a momentum outside [0, 1] (as Keras), a non-finite learning rate
  /// or more than one clipping argument.
  explicit SGD(const SGDOptions& options = SGDOptions())
      : Optimizer<Scalar>("SGD", options.learning_rate, options, slots_for(options)), options_(options) {}

  const SGDOptions& options() const noexcept { return options_; }

 protected:
  void update_step(Eigen::Map<Array>& variable, const Array& gradient, std::vector<Array>& slots,
                   Scalar lr) override {
    if (options_.momentum != 0) {
      const Scalar momentum = static_cast<Scalar>(options_.momentum);
      Array& m = slots[0];
      m = m * momentum - gradient * lr;
      if (options_.nesterov)
        variable += m * momentum - gradient * lr;
      else
        variable += m;
    } else {
      variable -= gradient * lr;
    }
  }

 private:
  static std::vector<std::string> slots_for(const SGDOptions& o) {
    if (!(o.momentum >= 0 && o.momentum <= 1))
      throw config_error(birnn::detail::cat("birnn::train::SGD: momentum: expected a number in [0, 1], got ",
                                            o.momentum));
    if (o.momentum != 0) return {"momentum"};
    return {};
  }

  SGDOptions options_;
};

/// Keras's RMSprop: `v = rho v + (1 - rho) g^2`; the increment `lr g / sqrt(v + eps)`, or
/// centered (`a = rho a + (1 - rho) g`) `lr g / sqrt(v - a^2 + eps)`; with momentum
/// `m = momentum m + increment`, `w -= m`, otherwise `w -= increment`.
template <class Scalar>
class RMSprop : public Optimizer<Scalar> {
 public:
  using typename Optimizer<Scalar>::Array;

  /// @throws config_error for a non-finite learning rate or more than one clipping argument.
  explicit RMSprop(const RMSpropOptions& options = RMSpropOptions())
      : Optimizer<Scalar>("rmsprop", options.learning_rate, options, slots_for(options)), options_(options) {}

  const RMSpropOptions& options() const noexcept { return options_; }

 protected:
  void update_step(Eigen::Map<Array>& variable, const Array& gradient, std::vector<Array>& slots,
                   Scalar lr) override {
    const Scalar rho = static_cast<Scalar>(options_.rho);
    const Scalar one_minus_rho = static_cast<Scalar>(1 - options_.rho);
    const Scalar eps = static_cast<Scalar>(options_.epsilon);
    std::size_t next = 0;
    Array& velocity = slots[next++];
    Array* momentum = options_.momentum > 0 ? &slots[next++] : nullptr;
    Array* average_grad = options_.centered ? &slots[next++] : nullptr;

    velocity = rho * velocity + one_minus_rho * gradient.square();
    Array denominator;
    if (average_grad) {
      *average_grad = rho * *average_grad + one_minus_rho * gradient;
      denominator = velocity - average_grad->square() + eps;
    } else {
      denominator = velocity + eps;
    }
    const Array increment = (lr * gradient) / denominator.sqrt();
    if (momentum) {
      *momentum = static_cast<Scalar>(options_.momentum) * *momentum + increment;
      variable -= *momentum;
    } else {
      variable -= increment;
    }
  }

 private:
  static std::vector<std::string> slots_for(const RMSpropOptions& o) {
    std::vector<std::string> s{"velocity"};
    if (o.momentum > 0) s.push_back("momentum");
    if (o.centered) s.push_back("average_gradient");
    return s;
  }

  RMSpropOptions options_;
};

/// Keras's Adam: `m += (g - m)(1 - beta_1)`, `v += (g^2 - v)(1 - beta_2)`, with AMSGrad
/// `v_hat = max(v_hat, v)` used for v; then `w -= m alpha / (sqrt(v) + eps)` where
/// `alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)` and t = iterations + 1.
template <class Scalar>
class Adam : public Optimizer<Scalar> {
 public:
  using typename Optimizer<Scalar>::Array;

  /// @throws config_error for a non-finite learning rate or more than one clipping argument.
  explicit Adam(const AdamOptions& options = AdamOptions())
      : Optimizer<Scalar>("adam", options.learning_rate, options, slots_for(options)), options_(options) {}

  const AdamOptions& options() const noexcept { return options_; }

 protected:
  void update_step(Eigen::Map<Array>& variable, const Array& gradient, std::vector<Array>& slots,
                   Scalar lr) override {
    using std::pow, std::sqrt;
    const Scalar local_step = static_cast<Scalar>(this->iterations() + 1);
    const Scalar beta_1_power = pow(static_cast<Scalar>(options_.beta_1), local_step);
    const Scalar beta_2_power = pow(static_cast<Scalar>(options_.beta_2), local_step);
    const Scalar alpha = lr * sqrt(Scalar(1) - beta_2_power) / (Scalar(1) - beta_1_power);
    Array& m = slots[0];
    Array& v = slots[1];
    m += (gradient - m) * static_cast<Scalar>(1 - options_.beta_1);
    v += (gradient.square() - v) * static_cast<Scalar>(1 - options_.beta_2);
    const Array* used_v = &v;
    if (options_.amsgrad) {
      Array& v_hat = slots[2];
      v_hat = v_hat.max(v);
      used_v = &v_hat;
    }
    variable -= (m * alpha) / (used_v->sqrt() + static_cast<Scalar>(options_.epsilon));
  }

 private:
  static std::vector<std::string> slots_for(const AdamOptions& o) {
    std::vector<std::string> s{"momentum", "velocity"};
    if (o.amsgrad) s.push_back("velocity_hat");
    return s;
  }

  AdamOptions options_;
};

/// The optimizer Keras's `optimizers.get(name)` gives, with its default arguments: "sgd",
/// "rmsprop" or "adam", in any case (Keras matches them case-insensitively). A learning rate,
/// if given, replaces the default.
/// @throws config_error for another name (birnn has SGD, RMSprop and Adam only).
template <class Scalar>
std::unique_ptr<Optimizer<Scalar>> make_optimizer(const std::string& name,
                                                  std::optional<double> learning_rate = std::nullopt) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "sgd") {
    SGDOptions o;
    if (learning_rate) o.learning_rate = *learning_rate;
    return std::make_unique<SGD<Scalar>>(o);
  }
  if (lower == "rmsprop") {
    RMSpropOptions o;
    if (learning_rate) o.learning_rate = *learning_rate;
    return std::make_unique<RMSprop<Scalar>>(o);
  }
  if (lower == "adam") {
    AdamOptions o;
    if (learning_rate) o.learning_rate = *learning_rate;
    return std::make_unique<Adam<Scalar>>(o);
  }
  throw config_error(birnn::detail::cat("birnn::train::make_optimizer: optimizer name: expected one of sgd, "
                                        "rmsprop, adam, got '",
                                        name, "'"));
}

}  // namespace birnn::train
