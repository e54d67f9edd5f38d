// Compiled once for the tests, examples and benchmarks (BIRNN_EXTERN_TEMPLATES):
// the runtime layers whose forward cell is GRU<double>.
#include <birnn/birnn.hpp>

BIRNN_INSTANTIATE_LAYERS(double, GRU)
