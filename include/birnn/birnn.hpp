#pragma once
/// @file
/// The umbrella header: every public header of birnn. The Keras config reader, which needs
/// nlohmann_json, is separate: `#include <birnn/io/keras_model.hpp>`.

#include "birnn/activation.hpp"
#include "birnn/cells/cell_traits.hpp"
#include "birnn/cells/gru.hpp"
#include "birnn/cells/lstm.hpp"
#include "birnn/cells/simple_rnn.hpp"
#include "birnn/config.hpp"
#include "birnn/errors.hpp"
#include "birnn/fwd.hpp"
#include "birnn/layers/bidirectional.hpp"
#include "birnn/layers/rnn.hpp"
#include "birnn/policies/mask.hpp"
#include "birnn/policies/merge.hpp"
#include "birnn/policies/sequences.hpp"
#include "birnn/policies/state.hpp"
#include "birnn/sequence.hpp"
#include "birnn/tensor.hpp"
#include "birnn/version.hpp"
