// Compiled once for the tests, examples and benchmarks (BIRNN_EXTERN_TEMPLATES):
// Model<float> and its non-recurrent layers.
#include <birnn/birnn.hpp>

BIRNN_INSTANTIATE_MODEL(float)
