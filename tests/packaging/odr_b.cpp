// One of two translation units that include all of birnn; see odr_main.cpp.
#include <birnn/birnn.hpp>

int birnn_odr_b() {
    birnn::Sequence<float> x(2, 3, 4);
    return x.batch() == 2 && x.time() == 3 && x.features() == 4 ? 0 : 1;
}
