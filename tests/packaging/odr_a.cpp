// One of two translation units that include all of birnn; see odr_main.cpp.
#include <birnn/birnn.hpp>

int birnn_odr_a() {
    birnn::Sequence<float> x(1, 2, 3);
    return x.batch() == 1 && x.time() == 2 && x.features() == 3 ? 0 : 1;
}
