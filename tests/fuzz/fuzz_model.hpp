#pragma once
// For the fuzz targets that end in a runtime Model (Keras JSON, .keras, .h5): runs a model
// that loaded on a small input of its own shape, so that what a file sets up is also run.

#include <birnn/model/model.hpp>

#include <Eigen/Core>

#include <cstdint>

namespace birnn_fuzz {

/// Predicts on a batch of two sequences built from `seed`, when the model's input shape is
/// small enough to build (a config may claim any size; a huge input would be the harness's
/// allocation, not birnn's).
inline void predict_small(birnn::Model<float>& model, std::uint64_t seed) {
  if (model.size() == 0) return;
  const birnn::Shape& in = model.input_shape();
  const Eigen::Index time = !in.empty() && in[0] > 0 ? in[0] : 3;
  if (time > 64) return;
  if (model.layer(0).reads_ids()) {
    if (in.size() != 1) return;
    birnn::TokenIds ids(2, time);
    for (Eigen::Index k = 0; k < ids.size(); ++k) ids.data()[k] = static_cast<std::int64_t>((seed >> (k % 61)) % 5);
    (void)model.predict(ids);
    return;
  }
  if (in.size() != 2 || in[1] <= 0 || in[1] > 256) return;
  birnn::Sequence<float> x(2, time, in[1]);
  for (Eigen::Index k = 0; k < x.matrix().size(); ++k)
    x.data()[k] = static_cast<float>(static_cast<int>((seed >> (k % 59)) & 7) - 3) / 4.0f;
  (void)model.predict(x);
}

}  // namespace birnn_fuzz
