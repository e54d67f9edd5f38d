#pragma once
/// @file
/// What flows between the layers of a runtime `Model`: values of rank 2 `(batch, features)`
/// or rank 3 `(batch, time, features)`, token ids for a model that starts with `Embedding`,
/// and the Keras mask that travels with them.

#include "birnn/types/sequence.hpp"
#include "birnn/types/size.hpp"
#include "birnn/types/tensor.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

/// Token ids `(batch, time)`, row-major.
using TokenIds = Eigen::Array<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A shape without the batch axis; -1 stands for Keras's `None` (any length).
using Shape = std::vector<Eigen::Index>;

/// "(None, 100, 64)": a shape with the batch axis, as Keras's summary prints it.
inline std::string keras_shape_string(const Shape& s) {
  std::string out = "(None";
  for (auto d : s) out += ", " + (d < 0 ? std::string("None") : std::to_string(d));
  return out + ")";
}

/// One tensor between layers.
template <class Scalar>
struct Value {
  int rank = 3;                 ///< 3: `sequence` holds it; 2: `matrix` holds it
  Sequence<Scalar> sequence;    ///< (batch, time, features)
  Batch<Scalar> matrix;         ///< (batch, features)

  static Value of(Sequence<Scalar> s) {
    Value v;
    v.rank = 3;
    v.sequence = std::move(s);
    return v;
  }
  static Value of(Batch<Scalar> m) {
    Value v;
    v.rank = 2;
    v.matrix = std::move(m);
    return v;
  }
  Eigen::Index batch() const noexcept { return rank == 3 ? sequence.batch() : matrix.rows(); }
  Eigen::Index features() const noexcept { return rank == 3 ? sequence.features() : matrix.cols(); }
  /// The shape with the batch axis.
  std::vector<Eigen::Index> shape() const {
    if (rank == 3) return {sequence.batch(), sequence.time(), sequence.features()};
    return {matrix.rows(), matrix.cols()};
  }
  /// Row-major values.
  std::vector<Scalar> values() const {
    if (rank == 3) return std::vector<Scalar>(sequence.data(), sequence.data() + sequence.matrix().size());
    std::vector<Scalar> v;
    v.reserve(static_cast<std::size_t>(matrix.size()));
    for (Eigen::Index r = 0; r < matrix.rows(); ++r)
      for (Eigen::Index c = 0; c < matrix.cols(); ++c) v.push_back(matrix(r, c));
    return v;
  }
};

/// The input and output of a runtime layer: its values (Keras's list of outputs; the next
/// layer reads the first) and the mask that goes with them.
template <class Scalar>
struct Flow {
  std::optional<TokenIds> ids;          ///< the model's input when it starts with Embedding
  std::vector<Value<Scalar>> values;    ///< outputs in Keras's order
  std::optional<Mask> mask;             ///< (batch, time), true = keep
  /// For a layer with several inputs (a merge), each value's own mask; `mask` is unused then.
  std::vector<std::optional<Mask>> masks;

  /// A model input of token ids `(batch, time)`.
  static Flow of(TokenIds token_ids) {
    Flow f;
    f.ids = std::move(token_ids);
    return f;
  }
  /// A model input of values `(batch, time, features)`, with an optional mask.
  static Flow of(Sequence<Scalar> x, std::optional<Mask> m = std::nullopt) {
    Flow f;
    f.values.push_back(Value<Scalar>::of(std::move(x)));
    f.mask = std::move(m);
    return f;
  }
};

}  // namespace birnn
