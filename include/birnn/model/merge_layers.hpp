#pragma once
/// @file
/// Keras's merge layers in a runtime model (Functional models): `Concatenate` on the last
/// axis, `Add`, `Average`, `Multiply`. A merge reads two or more values (`Flow::values`) and
/// their masks (`Flow::masks`) and returns one value. Masks as Keras 3 computes them:
///
/// - `Add`, `Average`, `Multiply`: when every input has a mask, the output's is their OR;
///   when one has none, the output has none. `Multiply` also counts a masked step of an
///   input as 1, and zeroes the steps the output mask drops (when every input has a mask).
/// - `Concatenate`: no mask when no input has one; else an input without a mask counts as
///   keeping every step, and the output keeps a step that any input keeps.

#include "birnn/errors.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/utility_layers.hpp"

#include <Eigen/Core>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

/// Which merge a `MergeLayer` computes.
enum class Merge { concatenate, add, average, multiply };

template <class Scalar>
class MergeLayer final : public LayerBase<Scalar> {
 public:
  MergeLayer(Merge kind, std::string name) : LayerBase<Scalar>(std::move(name)), kind_(kind) {}
  std::string class_name() const override {
    switch (kind_) {
      case Merge::concatenate: return "Concatenate";
      case Merge::add: return "Add";
      case Merge::average: return "Average";
      case Merge::multiply: return "Multiply";
    }
    return "Add";
  }
  std::vector<Shape> output_shapes(const Shape& input) const override { return merged_output_shapes(std::vector<Shape>{input}); }
  std::vector<Shape> merged_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.size() < 2)
      throw shape_error(detail::cat(this->label(), ": inputs: expected at least 2, got ", inputs.size()));
    Shape out = inputs.front();
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      const Shape& s = inputs[i];
      const bool same_rank = s.size() == out.size() && !s.empty();
      bool fits = same_rank;
      for (std::size_t a = 0; fits && a + 1 < s.size(); ++a) fits = s[a] == out[a] || s[a] < 0 || out[a] < 0;
      if (fits && kind_ != Merge::concatenate) fits = s.back() == out.back();
      if (!fits)
        throw shape_error(detail::cat(this->label(), ": input ", i, " shape: expected ",
                                      kind_ == Merge::concatenate ? "the shape of input 0 but for the last axis, "
                                                                  : "the shape of input 0, ",
                                      keras_shape_string(inputs.front()), ", got ", keras_shape_string(s)));
      if (kind_ == Merge::concatenate) out.back() = out.back() < 0 || s.back() < 0 ? -1 : out.back() + s.back();
    }
    return {out};
  }
  Flow<Scalar> call(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>*) override {
    check(in);
    const auto& xs = in.values;
    const std::size_t n = xs.size();
    Flow<Scalar> out;
    out.mask = output_mask(in);
    if (kind_ == Merge::concatenate) {
      Eigen::Index cols = 0;
      for (const auto& x : xs) cols += x.features();
      Batch<Scalar> y(detail::rows_of(xs.front()).rows(), cols);
      Eigen::Index at = 0;
      for (const auto& x : xs) {
        y.middleCols(at, x.features()) = detail::rows_of(x);
        at += x.features();
      }
      out.values.push_back(like(xs.front(), std::move(y)));
      return out;
    }
    Value<Scalar> y = xs.front();
    if (kind_ == Merge::multiply) {
      const bool zero_outside = all_masked(in);
      y = factor(in, 0);
      for (std::size_t i = 1; i < n; ++i) detail::rows_of(y).array() *= detail::rows_of(factor(in, i)).array();
      if (zero_outside && out.mask) zero_masked(y, *out.mask);
    } else {
      for (std::size_t i = 1; i < n; ++i) detail::rows_of(y) += detail::rows_of(xs[i]);
      if (kind_ == Merge::average) detail::rows_of(y) /= static_cast<Scalar>(n);
    }
    out.values.push_back(std::move(y));
    return out;
  }
  Flow<Scalar> call_train(const Flow<Scalar>& in, const std::vector<Batch<Scalar>>* initial_state) override {
    Flow<Scalar> out = call(in, initial_state);
    recorded_ = in;
    recorded_shape_ = out.values.front().shape();
    return out;
  }
  LayerGradients<Scalar> backward(const std::vector<Value<Scalar>>& cotangents) override {
    const Value<Scalar>& d = this->cotangent(cotangents, recorded_shape_, recorded_.has_value());
    const Flow<Scalar>& in = *recorded_;
    const std::size_t n = in.values.size();
    LayerGradients<Scalar> g;
    if (kind_ == Merge::concatenate) {
      Eigen::Index at = 0;
      for (const auto& x : in.values) {
        g.inputs.push_back(like(x, Batch<Scalar>(detail::rows_of(d).middleCols(at, x.features()))));
        at += x.features();
      }
      return g;
    }
    if (kind_ != Merge::multiply) {
      Value<Scalar> di = d;
      if (kind_ == Merge::average) detail::rows_of(di) /= static_cast<Scalar>(n);
      g.inputs.assign(n, di);
      return g;
    }
    // Multiply: d * the product of the other factors, where the input's own factor is its value.
    Value<Scalar> dz = d;
    const std::optional<Mask> m = output_mask(in);
    if (all_masked(in) && m) zero_masked(dz, *m);
    for (std::size_t i = 0; i < n; ++i) {
      Value<Scalar> di = dz;
      for (std::size_t j = 0; j < n; ++j)
        if (j != i) detail::rows_of(di).array() *= detail::rows_of(factor(in, j)).array();
      if (in.masks[i]) zero_masked(di, *in.masks[i]);  // a masked step's factor was the constant 1
      g.inputs.push_back(std::move(di));
    }
    return g;
  }

 private:
  void check(const Flow<Scalar>& in) const {
    if (in.values.size() < 2)
      throw shape_error(detail::cat(this->label(), ": inputs: expected at least 2, got ", in.values.size()));
    if (in.masks.size() != in.values.size())
      throw mask_error(detail::cat(this->label(), ": masks: expected one per input (", in.values.size(), "), got ",
                                   in.masks.size()));
    const Value<Scalar>& a = in.values.front();
    for (std::size_t i = 0; i < in.values.size(); ++i) {
      const Value<Scalar>& x = in.values[i];
      auto s = x.shape(), s0 = a.shape();
      if (kind_ == Merge::concatenate) s.back() = s0.back() = 0;
      if (s != s0)
        throw shape_error(detail::cat(this->label(), ": input ", i, " shape: expected ", shape_string(a.shape()),
                                      kind_ == Merge::concatenate ? " but for the last axis" : "", ", got ",
                                      shape_string(x.shape())));
      if (in.masks[i] && (x.rank != 3 || in.masks[i]->rows() != x.sequence.batch() ||
                          in.masks[i]->cols() != x.sequence.time()))
        throw mask_error(detail::cat(this->label(), ": input ", i, " mask: expected (batch, time) of its value ",
                                     shape_string(x.shape()), ", got (", in.masks[i]->rows(), ", ",
                                     in.masks[i]->cols(), ")"));
    }
  }
  static bool all_masked(const Flow<Scalar>& in) {
    for (const auto& m : in.masks)
      if (!m) return false;
    return true;
  }
  // Keras 3's compute_mask of the merge (see the file's text).
  std::optional<Mask> output_mask(const Flow<Scalar>& in) const {
    bool any = false;
    for (const auto& m : in.masks) any = any || m.has_value();
    if (!any || (kind_ != Merge::concatenate && !all_masked(in))) return std::nullopt;
    const Value<Scalar>& x = in.values.front();
    Mask out = Mask::Constant(x.sequence.batch(), x.sequence.time(), false);
    for (const auto& m : in.masks) out = m ? Mask(out || *m) : Mask(Mask::Constant(out.rows(), out.cols(), true));
    return out;
  }
  // Input i as Multiply uses it: its masked steps set to 1.
  static Value<Scalar> factor(const Flow<Scalar>& in, std::size_t i) {
    Value<Scalar> x = in.values[i];
    if (in.masks[i]) {
      const Mask& m = *in.masks[i];
      for (Eigen::Index b = 0; b < m.rows(); ++b)
        for (Eigen::Index t = 0; t < m.cols(); ++t)
          if (!m(b, t)) x.sequence.matrix().row(b * m.cols() + t).setOnes();
    }
    return x;
  }
  static void zero_masked(Value<Scalar>& v, const Mask& m) {
    if (v.rank != 3) return;
    for (Eigen::Index b = 0; b < m.rows(); ++b)
      for (Eigen::Index t = 0; t < m.cols(); ++t)
        if (!m(b, t)) v.sequence.matrix().row(b * m.cols() + t).setZero();
  }
  // `rows` in the rank of `x`.
  static Value<Scalar> like(const Value<Scalar>& x, Batch<Scalar> rows) {
    if (x.rank == 3) return Value<Scalar>::of(Sequence<Scalar>(x.sequence.batch(), x.sequence.time(), std::move(rows)));
    return Value<Scalar>::of(std::move(rows));
  }

  Merge kind_;
  std::optional<Flow<Scalar>> recorded_;
  std::vector<Eigen::Index> recorded_shape_;
};

}  // namespace birnn
