#pragma once
/// @file
/// `Model::summary`: Keras's table of a model's layers (name and class, output shape,
/// parameters) and its totals, trainable and not.

#include "birnn/types/value.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <string>

namespace birnn::detail {

/// "1,234,567".
inline std::string with_commas(Eigen::Index n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

/// Writes the summary of `model` (a `Model`) to `os`.
template <class M>
void write_summary(std::ostream& os, const M& model) {
  // Keras's widths, wider when a "name (Class)" needs it.
  int w1 = 32;
  for (std::size_t i = 0; i < model.size(); ++i)
    w1 = std::max(w1, static_cast<int>(model.layer(i).name().size() + model.layer(i).class_name().size()) + 4);
  const int w2 = 26, w3 = 12;
  const std::string rule(w1 + w2 + w3, '-'), bold(w1 + w2 + w3, '=');
  os << "Model: \"" << model.name() << "\"\n" << rule << '\n';
  os << std::left << std::setw(w1) << "Layer (type)" << std::setw(w2) << "Output Shape" << std::right << std::setw(w3)
     << "Param #" << '\n'
     << bold << '\n';
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& l = model.layer(i);
    os << std::left << std::setw(w1) << (l.name() + " (" + l.class_name() + ")") << std::setw(w2)
       << keras_shape_string(model.output_shape(i)) << std::right << std::setw(w3) << with_commas(l.count_params())
       << '\n';
  }
  os << bold << '\n'
     << "Total params: " << with_commas(model.count_params()) << '\n'
     << "Trainable params: " << with_commas(model.count_params() - model.non_trainable_params()) << '\n'
     << "Non-trainable params: " << with_commas(model.non_trainable_params()) << '\n'
     << rule << '\n';
}

}  // namespace birnn::detail
