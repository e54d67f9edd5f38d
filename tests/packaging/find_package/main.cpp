// Smallest use of birnn from a project that finds an installed copy with find_package().
#include <birnn/birnn.hpp>

int main() {
    birnn::Sequence<float> x(1, 2, 3);
    return x.batch() == 1 ? 0 : 1;
}
