#pragma once
/// @file
/// The layers that sit around RNNs in real Keras models, as values (see
/// `model/layer_config.hpp` for the recurrent ones and the rules every value follows:
/// Keras's arguments and defaults, chained setters, getters of the same name, a
/// `config_error` at once for a value Keras would refuse):
///
/// - regularization, identity in `predict`: `Dropout`, `SpatialDropout1D`, `GaussianNoise`,
///   `GaussianDropout`;
/// - `Activation`;
/// - pooling over time: `GlobalAveragePooling1D` (mask-aware), `GlobalMaxPooling1D`;
/// - reshaping: `Flatten`, `Reshape`, `RepeatVector`;
/// - normalization over the features: `LayerNormalization`, `BatchNormalization`.
///
/// `TimeDistributed`, which wraps one of these or a `Dense`, is in `model/layer_config.hpp`.

#include "birnn/errors.hpp"
#include "birnn/math/activation.hpp"
#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace birnn::keras {
namespace detail {

/// The name setter and getter every layer value has; `seed` for the random ones.
template <class Derived>
class Named {
 public:
  Derived& name(std::string n) {
    name_ = std::move(n);
    return static_cast<Derived&>(*this);
  }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

template <class Derived>
class Seeded : public Named<Derived> {
 public:
  /// Keras `seed` of the layer's random draws in training; unset, birnn derives one from the
  /// layer's name (`birnn::detail::seed_from_name`), so runs repeat.
  Derived& seed(std::uint64_t s) {
    seed_ = s;
    return static_cast<Derived&>(*this);
  }
  const std::optional<std::uint64_t>& seed() const noexcept { return seed_; }

 private:
  std::optional<std::uint64_t> seed_;
};

inline double in_unit_interval(const char* cls, const char* what, double r) {
  if (!(r >= 0 && r < 1))
    throw config_error(birnn::detail::cat("birnn::keras::", cls, ": ", what, ": expected a rate in [0, 1), got ", r));
  return r;
}

/// A seeded layer whose one argument is a rate in [0, 1).
template <class Derived>
class RateSeeded : public Seeded<Derived> {
 public:
  explicit RateSeeded(double rate) : rate_(in_unit_interval(Derived::keras_name, "rate", rate)) {}
  double rate() const noexcept { return rate_; }

 private:
  double rate_;
};

}  // namespace detail

/// Keras `Dropout(rate, seed=None)`: in training, each value is dropped with probability
/// `rate` and the others scaled by `1 / (1 - rate)`; identity in `predict`. Passes the mask on.
class Dropout : public detail::RateSeeded<Dropout> {
 public:
  static constexpr const char* keras_name = "Dropout";
  using RateSeeded::RateSeeded;
};

/// Keras `SpatialDropout1D(rate, seed=None)`: as `Dropout`, but a whole feature of a sample
/// is dropped at every step (noise shape `(batch, 1, features)`).
class SpatialDropout1D : public detail::RateSeeded<SpatialDropout1D> {
 public:
  static constexpr const char* keras_name = "SpatialDropout1D";
  using RateSeeded::RateSeeded;
};

/// Keras `GaussianNoise(stddev, seed=None)`: adds N(0, stddev^2) noise in training.
class GaussianNoise : public detail::Seeded<GaussianNoise> {
 public:
  static constexpr const char* keras_name = "GaussianNoise";
  explicit GaussianNoise(double stddev) : stddev_(stddev) {
    if (!(stddev >= 0 && std::isfinite(stddev)))
      throw config_error(birnn::detail::cat("birnn::keras::GaussianNoise: stddev: expected a finite number >= 0, got ",
                                            stddev));
  }
  double stddev() const noexcept { return stddev_; }

 private:
  double stddev_;
};

/// Keras `GaussianDropout(rate, seed=None)`: multiplies by N(1, rate / (1 - rate)) noise in training.
class GaussianDropout : public detail::RateSeeded<GaussianDropout> {
 public:
  static constexpr const char* keras_name = "GaussianDropout";
  using RateSeeded::RateSeeded;
};

/// Keras `Activation(activation)`: an activation on the last axis. Passes the mask on.
class Activation : public detail::Named<Activation> {
 public:
  static constexpr const char* keras_name = "Activation";
  explicit Activation(birnn::Activation a) : activation_(a) {}
  /// By Keras name ("relu", "softmax"); `config_error` for one birnn does not have.
  explicit Activation(const std::string& a) : activation_(lookup(a)) {}
  birnn::Activation activation() const noexcept { return activation_; }

 private:
  static birnn::Activation lookup(const std::string& a) {
    try {
      return activation_from_string(a);
    } catch (const config_error& e) {
      throw config_error(birnn::detail::cat("birnn::keras::Activation: activation: ", e.what()));
    }
  }
  birnn::Activation activation_;
};

/// Keras `GlobalAveragePooling1D(keepdims=False)`: the mean over time of the steps the mask
/// keeps (all steps without a mask). A sample whose steps are all masked gives 0 / 0 = NaN,
/// as in Keras.
class GlobalAveragePooling1D : public detail::Named<GlobalAveragePooling1D> {
 public:
  static constexpr const char* keras_name = "GlobalAveragePooling1D";
  /// Keep the time axis with length 1: `(batch, 1, features)`.
  GlobalAveragePooling1D& keepdims(bool on = true) { keepdims_ = on; return *this; }
  bool keepdims() const noexcept { return keepdims_; }

 private:
  bool keepdims_ = false;
};

/// Keras `GlobalMaxPooling1D(keepdims=False)`: the maximum over all steps. Keras 3 does not
/// let it read a mask: masked steps count too.
class GlobalMaxPooling1D : public detail::Named<GlobalMaxPooling1D> {
 public:
  static constexpr const char* keras_name = "GlobalMaxPooling1D";
  GlobalMaxPooling1D& keepdims(bool on = true) { keepdims_ = on; return *this; }
  bool keepdims() const noexcept { return keepdims_; }

 private:
  bool keepdims_ = false;
};

/// Keras `Flatten()`: `(batch, time, features)` to `(batch, time * features)`; the time axis
/// must be known. Drops the mask.
class Flatten : public detail::Named<Flatten> {
 public:
  static constexpr const char* keras_name = "Flatten";
};

/// Keras `Reshape(target_shape)`, without the batch axis; one entry may be -1 (inferred).
/// birnn's values have rank 2 or 3, so `target_shape` has one or two entries. Drops the mask.
class Reshape : public detail::Named<Reshape> {
 public:
  static constexpr const char* keras_name = "Reshape";
  explicit Reshape(Shape target_shape) : target_(std::move(target_shape)) {
    using birnn::detail::cat;
    if (target_.empty() || target_.size() > 2)
      throw config_error(cat("birnn::keras::Reshape: target_shape ", shape_string(target_),
                             ": expected 1 or 2 entries (birnn's values are (batch, features) or (batch, time, "
                             "features)), got ", target_.size()));
    int inferred = 0;
    for (auto d : target_) {
      if (d == -1) ++inferred;
      if (d == 0 || d < -1)
        throw config_error(cat("birnn::keras::Reshape: target_shape ", shape_string(target_),
                               ": expected positive sizes or one -1"));
    }
    if (inferred > 1)
      throw config_error(cat("birnn::keras::Reshape: target_shape ", shape_string(target_),
                             ": expected at most one -1, got ", inferred));
  }
  const Shape& target_shape() const noexcept { return target_; }

 private:
  Shape target_;
};

/// Keras `RepeatVector(n)`: `(batch, features)` to `(batch, n, features)`.
class RepeatVector : public detail::Named<RepeatVector> {
 public:
  static constexpr const char* keras_name = "RepeatVector";
  explicit RepeatVector(Eigen::Index n) : n_(n) {
    if (n <= 0) throw config_error(birnn::detail::cat("birnn::keras::RepeatVector: n: expected a positive number, got ", n));
  }
  Eigen::Index n() const noexcept { return n_; }

 private:
  Eigen::Index n_;
};

/// What Keras's `LayerNormalization` and `BatchNormalization` share: over the last axis
/// (`axis=-1`, the only one birnn supports), `epsilon`, `center` (a `beta`), `scale` (a `gamma`).
template <class Derived>
class Normalization : public detail::Named<Derived> {
 public:
  Derived& epsilon(double e) {
    if (!(e > 0 && std::isfinite(e)))
      throw config_error(birnn::detail::cat("birnn::keras::", Derived::keras_name,
                                            ": epsilon: expected a finite number > 0, got ", e));
    epsilon_ = e;
    return self();
  }
  /// Keras `axis`: -1, or the index of the last axis counting the batch axis as 0 (2 for
  /// `(batch, time, features)`; the builder checks it). Other axes: `config_error`.
  Derived& axis(int a) {
    if (a == 0 || a < -1)
      throw config_error(birnn::detail::cat("birnn::keras::", Derived::keras_name,
                                            ": axis: expected -1 (the last axis; birnn normalizes over it only), got ",
                                            a));
    axis_ = a;
    return self();
  }
  int axis() const noexcept { return axis_; }
  Derived& center(bool on = true) { center_ = on; return self(); }
  Derived& scale(bool on = true) { scale_ = on; return self(); }
  double epsilon() const noexcept { return epsilon_; }
  bool center() const noexcept { return center_; }
  bool scale() const noexcept { return scale_; }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  double epsilon_ = 1e-3;
  int axis_ = -1;
  bool center_ = true;
  bool scale_ = true;
};

/// Keras `LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True)`: each step's
/// features to mean 0 and variance 1, then `* gamma + beta`. Passes the mask on.
class LayerNormalization : public Normalization<LayerNormalization> {
 public:
  static constexpr const char* keras_name = "LayerNormalization";
};

/// Keras `BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True)`:
/// in `predict` `(x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta`; in
/// training the batch's own moments (over the steps the mask keeps), and the moving ones
/// move towards them by `1 - momentum`. `moving_mean` and `moving_variance` are not trainable.
class BatchNormalization : public Normalization<BatchNormalization> {
 public:
  static constexpr const char* keras_name = "BatchNormalization";
  BatchNormalization& momentum(double m) {
    if (!(m >= 0 && m <= 1))
      throw config_error(birnn::detail::cat("birnn::keras::BatchNormalization: momentum: expected a number in [0, 1], got ", m));
    momentum_ = m;
    return *this;
  }
  double momentum() const noexcept { return momentum_; }

 private:
  double momentum_ = 0.99;
};

}  // namespace birnn::keras
