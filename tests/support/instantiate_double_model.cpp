// Compiled once for the tests, examples and benchmarks (BIRNN_EXTERN_TEMPLATES):
// Model<double> and its non-recurrent layers.
#include <birnn/birnn.hpp>

BIRNN_INSTANTIATE_MODEL(double)
