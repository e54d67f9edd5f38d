// Links two translation units that both include <birnn/birnn.hpp> and instantiate the same
// templates. A function or variable defined in a header without `inline` shows up here as
// a multiple-definition link error.
int birnn_odr_a();
int birnn_odr_b();

int main() {
    return birnn_odr_a() + birnn_odr_b();
}
