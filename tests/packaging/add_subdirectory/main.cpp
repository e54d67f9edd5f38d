// Smallest use of birnn from a project that includes it with add_subdirectory().
#include <birnn/birnn.hpp>

int main() {
    birnn::Sequence<float> x(1, 2, 3);
    return x.batch() == 1 ? 0 : 1;
}
