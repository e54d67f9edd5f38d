// Compiled once for the tests, examples and benchmarks (BIRNN_EXTERN_TEMPLATES):
// the runtime layers whose forward cell is GRU<float>.
#include <birnn/birnn.hpp>

BIRNN_INSTANTIATE_LAYERS(float, GRU)
