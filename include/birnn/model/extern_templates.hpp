#pragma once
/// @file
/// Faster builds for programs with many translation units: compile the runtime layers and
/// `Model` once instead of in every file that uses them.
///
/// Every file that calls `Model::add(keras::...)`, `keras::Sequential` or a file loader makes
/// the compiler instantiate every runtime layer the builder can return (3 recurrent layers
/// and 9 Bidirectional pairs per scalar type, each with its forward, training and backward
/// passes): about a minute of compile time per file. To pay it once:
///
/// 1. compile the program with `BIRNN_EXTERN_TEMPLATES` defined: `model/model.hpp` then
///    declares these instantiations `extern`, so no file instantiates them;
/// 2. in one or more .cpp files (compiled with the same flags), define them:
///    @code
///    #include <birnn/birnn.hpp>
///    BIRNN_INSTANTIATE_LAYERS(float, LSTM)       // RecurrentLayer<LSTM<float>>, and
///                                                // BidirectionalLayer<LSTM<float>, B> for every B
///    BIRNN_INSTANTIATE_LAYERS(float, GRU)
///    BIRNN_INSTANTIATE_LAYERS(float, SimpleRNN)
///    BIRNN_INSTANTIATE_MODEL(float)              // Model and the other runtime layers
///    @endcode
///    (the same for `double` if the program uses it). Spreading them over several files lets
///    a parallel build compile them side by side.
///
/// Without the macro this header declares nothing and birnn stays header-only. birnn's own
/// tests, examples and benchmarks build this way (`tests/support/instantiate_*.cpp`).
/// `model/model.hpp` includes it at its end, after `Model` is defined.

#include "birnn/cells/gru.hpp"
#include "birnn/cells/lstm.hpp"
#include "birnn/cells/simple_rnn.hpp"
#include "birnn/model/layer.hpp"
#include "birnn/model/model.hpp"
#include "birnn/model/recurrent_layer.hpp"

/// The runtime layers whose forward cell is `Cell` (SimpleRNN, LSTM or GRU), for `Scalar`.
/// `KIND` is `extern` (a declaration) or empty (a definition).
#define BIRNN_DETAIL_LAYERS(KIND, Scalar, Cell)                                                  \
  KIND template class ::birnn::RecurrentLayer<::birnn::Cell<Scalar>>;                            \
  KIND template class ::birnn::BidirectionalLayer<::birnn::Cell<Scalar>, ::birnn::SimpleRNN<Scalar>>; \
  KIND template class ::birnn::BidirectionalLayer<::birnn::Cell<Scalar>, ::birnn::LSTM<Scalar>>; \
  KIND template class ::birnn::BidirectionalLayer<::birnn::Cell<Scalar>, ::birnn::GRU<Scalar>>;

/// `Model` and the non-recurrent runtime layers, for `Scalar`.
#define BIRNN_DETAIL_MODEL(KIND, Scalar)                           \
  KIND template class ::birnn::Model<Scalar>;                      \
  KIND template class ::birnn::EmbeddingLayer<Scalar>;             \
  KIND template class ::birnn::MaskingLayer<Scalar>;               \
  KIND template class ::birnn::DenseLayer<Scalar>;                 \
  KIND template class ::birnn::NoiseLayer<Scalar>;                 \
  KIND template class ::birnn::ActivationLayer<Scalar>;            \
  KIND template class ::birnn::GlobalPoolingLayer<Scalar>;         \
  KIND template class ::birnn::ReshapeLayer<Scalar>;               \
  KIND template class ::birnn::RepeatVectorLayer<Scalar>;          \
  KIND template class ::birnn::LayerNormalizationLayer<Scalar>;    \
  KIND template class ::birnn::BatchNormalizationLayer<Scalar>;    \
  KIND template class ::birnn::TimeDistributedLayer<Scalar>;       \
  KIND template class ::birnn::MergeLayer<Scalar>;

/// Defines the runtime layers whose forward cell is `Cell`, for `Scalar` (see the file's text).
#define BIRNN_INSTANTIATE_LAYERS(Scalar, Cell) BIRNN_DETAIL_LAYERS(, Scalar, Cell)
/// Defines `Model<Scalar>` and the other runtime layers.
#define BIRNN_INSTANTIATE_MODEL(Scalar) BIRNN_DETAIL_MODEL(, Scalar)

#if defined(BIRNN_EXTERN_TEMPLATES)
BIRNN_DETAIL_LAYERS(extern, float, SimpleRNN)
BIRNN_DETAIL_LAYERS(extern, float, LSTM)
BIRNN_DETAIL_LAYERS(extern, float, GRU)
BIRNN_DETAIL_LAYERS(extern, double, SimpleRNN)
BIRNN_DETAIL_LAYERS(extern, double, LSTM)
BIRNN_DETAIL_LAYERS(extern, double, GRU)
BIRNN_DETAIL_MODEL(extern, float)
BIRNN_DETAIL_MODEL(extern, double)
#endif
