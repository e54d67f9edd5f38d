#pragma once
/// @file
/// `Masking`: masks the steps whose every feature equals `mask_value` and zeroes them.
/// Keras counterpart: `keras.layers.Masking(mask_value)`. No parameters.

#include "birnn/errors.hpp"
#include "birnn/types/sequence.hpp"
#include "birnn/types/size.hpp"

#include <Eigen/Core>

#include <string>

namespace birnn {

/// A Keras Masking layer.
/// @tparam Scalar  float or double.
template <class Scalar>
class Masking {
 public:
  explicit Masking(Scalar mask_value = Scalar(0), std::string name = "masking")
      : name_(std::move(name)), mask_value_(mask_value) {}

  const std::string& name() const noexcept { return name_; }
  Scalar mask_value() const noexcept { return mask_value_; }
  Eigen::Index count_params() const noexcept { return 0; }

  /// Keras's mask: a step is kept when any of its features differs from `mask_value`.
  Mask compute_mask(const Sequence<Scalar>& x) const {
    Mask m(x.batch(), x.time());
    for (Eigen::Index b = 0; b < x.batch(); ++b)
      for (Eigen::Index t = 0; t < x.time(); ++t)
        m(b, t) = (x.matrix().row(b * x.time() + t).array() != mask_value_).any();
    return m;
  }
  /// `x` with the masked steps multiplied by zero (as Keras does: NaN and inf stay NaN).
  Sequence<Scalar> forward(const Sequence<Scalar>& x) const {
    Sequence<Scalar> out = x;
    const Mask m = compute_mask(x);
    for (Eigen::Index b = 0; b < x.batch(); ++b)
      for (Eigen::Index t = 0; t < x.time(); ++t)
        if (!m(b, t)) out.matrix().row(b * x.time() + t) *= Scalar(0);
    return out;
  }

 private:
  std::string name_;
  Scalar mask_value_;
};

}  // namespace birnn
