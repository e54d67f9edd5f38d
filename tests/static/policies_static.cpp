// Compile-time checks of the policies and the result types they give (static_asserts only;
// this file only has to compile).

#include <birnn/birnn.hpp>
#include <birnn/layers/dense.hpp>

#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

namespace {

using birnn::Batch;
using birnn::Bidirectional;
using birnn::GRU;
using birnn::LSTM;
using birnn::Rnn;
using birnn::Sequence;
using birnn::SimpleRNN;
namespace seq = birnn::sequences;
namespace st = birnn::state;
namespace merge = birnn::merge;
namespace mask = birnn::mask;
constexpr int Dyn = Eigen::Dynamic;

template <class T, class U>
constexpr bool same = std::is_same_v<T, U>;

// --- Traits ------------------------------------------------------------------------------------

static_assert(birnn::is_cell_v<LSTM<float>>);
static_assert(birnn::is_cell_v<GRU<double, 3, 4>>);
static_assert(birnn::is_cell_v<SimpleRNN<float, Dyn, 5>>);
static_assert(!birnn::is_cell_v<int>);
static_assert(!birnn::is_cell_v<birnn::Dense<float>>);
static_assert(!birnn::is_cell_v<Rnn<LSTM<float>>>);
static_assert(!birnn::is_cell_v<merge::concat>);

static_assert(birnn::is_merge_mode_v<merge::concat>);
static_assert(birnn::is_merge_mode_v<merge::sum>);
static_assert(birnn::is_merge_mode_v<merge::mul>);
static_assert(birnn::is_merge_mode_v<merge::ave>);
static_assert(birnn::is_merge_mode_v<merge::none>);
static_assert(!birnn::is_merge_mode_v<seq::all>);
static_assert(!birnn::is_merge_mode_v<int>);

static_assert(birnn::is_sequences_policy_v<seq::last> && birnn::is_sequences_policy_v<seq::all>);
static_assert(!birnn::is_sequences_policy_v<st::keep>);
static_assert(birnn::is_state_policy_v<st::discard> && birnn::is_state_policy_v<st::keep>);
static_assert(!birnn::is_state_policy_v<seq::all>);
static_assert(birnn::is_mask_policy_v<mask::none> && birnn::is_mask_policy_v<mask::masked>);
static_assert(!birnn::is_mask_policy_v<merge::none>);

static_assert(merge::concat::mode == birnn::MergeMode::concat && merge::none::mode == birnn::MergeMode::none);
static_assert(merge::concat::width(3, 5) == 8 && merge::concat::width(3, Dyn) == Dyn);
static_assert(merge::sum::width(4, 4) == 4 && merge::ave::width(Dyn, Dyn) == Dyn);

// --- The cells ---------------------------------------------------------------------------------

static_assert(LSTM<float>::gates == 4 && LSTM<float>::state_count == 2);
static_assert(GRU<float>::gates == 3 && GRU<float>::state_count == 1);
static_assert(SimpleRNN<float>::gates == 1 && SimpleRNN<float>::state_count == 1);
static_assert(LSTM<float, 4, 8>::input_size_at_compile_time == 4 && LSTM<float, 4, 8>::units_at_compile_time == 8);
static_assert(LSTM<float, 4, 8>::gate_width == 32 && LSTM<float>::gate_width == Dyn);
static_assert(same<LSTM<double, 4, 8>::Hidden, Batch<double, 8>>);
static_assert(same<LSTM<float>::State, std::array<Batch<float>, 2>>);
static_assert(LSTM<float, 4, 8>::Config{}.units == 8, "fixed Units are the default units");
static_assert(LSTM<float>::Config{}.activation == birnn::Activation::tanh);
static_assert(LSTM<float>::Config{}.recurrent_activation == birnn::Activation::sigmoid);
static_assert(GRU<float>::Config{}.reset_after, "Keras 3's default");
static_assert(Batch<float, 8>::IsRowMajor && !Batch<float, 1>::IsRowMajor, "a one-column matrix is column-major");

// --- Rnn results -------------------------------------------------------------------------------

static_assert(same<Rnn<LSTM<float>, seq::all>::Result, Sequence<float>>);
static_assert(same<Rnn<LSTM<float>, seq::all>::Result, Sequence<float, Dyn>>);
static_assert(same<Rnn<LSTM<float>>::Result, Batch<float>>);
static_assert(same<Rnn<LSTM<float>, seq::last>::Output, Batch<float>>);
static_assert(same<Rnn<LSTM<float, 4, 8>, seq::all>::Output, Sequence<float, 8>>);
static_assert(same<Rnn<GRU<double, 4, 8>, seq::last>::Output, Batch<double, 8>>);

using LstmKeep = Rnn<LSTM<float>, seq::all, st::keep>::Result;
static_assert(std::tuple_size_v<LstmKeep> == 3);
static_assert(same<LstmKeep, std::tuple<Sequence<float>, Batch<float>, Batch<float>>>);
using GruKeep = Rnn<GRU<double, 3, 2>, seq::last, st::keep>::Result;
static_assert(same<GruKeep, std::tuple<Batch<double, 2>, Batch<double, 2>>>);
static_assert(std::tuple_size_v<Rnn<SimpleRNN<float>, seq::all, st::keep, mask::masked>::Result> == 2);

static_assert(Rnn<LSTM<float>, seq::all, st::keep, mask::masked>::return_sequences);
static_assert(Rnn<LSTM<float>, seq::all, st::keep, mask::masked>::return_state);
static_assert(Rnn<LSTM<float>, seq::all, st::keep, mask::masked>::masked);
static_assert(!Rnn<LSTM<float>>::return_sequences && !Rnn<LSTM<float>>::return_state && !Rnn<LSTM<float>>::masked);

// --- Bidirectional results ---------------------------------------------------------------------

using Fixed = LSTM<float, 4, 8>;
static_assert(same<Bidirectional<Fixed, merge::concat, seq::all>::Output, Sequence<float, 16>>);
static_assert(same<Bidirectional<Fixed, merge::concat, seq::last>::Output, Batch<float, 16>>);
static_assert(same<Bidirectional<Fixed, merge::sum, seq::all>::Output, Sequence<float, 8>>);
static_assert(same<Bidirectional<Fixed, merge::mul, seq::last>::Output, Batch<float, 8>>);
static_assert(same<Bidirectional<Fixed, merge::ave, seq::all>::Output, Sequence<float, 8>>);
static_assert(same<Bidirectional<LSTM<float>>::Output, Batch<float>>);
static_assert(same<Bidirectional<LSTM<float>>::Result, Batch<float>>);
static_assert(Bidirectional<Fixed>::input_size_at_compile_time == 4);

using None = Bidirectional<Fixed, merge::none, seq::all>::Output;
static_assert(same<decltype(std::declval<None>().forward), Sequence<float, 8>>);
static_assert(same<decltype(std::declval<None>().backward), Sequence<float, 8>>);
static_assert(same<None, birnn::Directions<Sequence<float, 8>, Sequence<float, 8>>>);
static_assert(same<Bidirectional<Fixed, merge::none, seq::all>::Result, None>);
using NoneLast = Bidirectional<LSTM<double>, merge::none>::Output;
static_assert(same<decltype(std::declval<NoneLast>().forward), Batch<double>>);

using ConcatKeep = Bidirectional<LSTM<float>, merge::concat, seq::all, st::keep>::Result;
static_assert(std::tuple_size_v<ConcatKeep> == 5, "output, forward h and c, backward h and c");
static_assert(same<ConcatKeep, std::tuple<Sequence<float>, Batch<float>, Batch<float>, Batch<float>, Batch<float>>>);
using NoneKeep = Bidirectional<Fixed, merge::none, seq::all, st::keep>::Result;
static_assert(std::tuple_size_v<NoneKeep> == 6, "both outputs first, then the states");
static_assert(same<std::tuple_element_t<0, NoneKeep>, Sequence<float, 8>>);
static_assert(same<std::tuple_element_t<1, NoneKeep>, Sequence<float, 8>>);
static_assert(same<std::tuple_element_t<2, NoneKeep>, Batch<float, 8>>);
static_assert(std::tuple_size_v<Bidirectional<GRU<float>, merge::sum, seq::last, st::keep>::Result> == 3);

// Another backward cell: widths and states follow each cell.
using Mixed = Bidirectional<LSTM<float, 3, 4>, merge::concat, seq::all, st::keep, mask::masked, GRU<float, 3, 2>>;
static_assert(same<Mixed::Output, Sequence<float, 6>>);
static_assert(std::tuple_size_v<Mixed::Result> == 1 + 2 + 1);
static_assert(same<std::tuple_element_t<3, Mixed::Result>, Batch<float, 2>>);
static_assert(same<decltype(Mixed::InitialState::forward), LSTM<float, 3, 4>::State>);
static_assert(same<decltype(Mixed::InitialState::backward), GRU<float, 3, 2>::State>);
using MixedNone = Bidirectional<LSTM<float, 3, 4>, merge::none, seq::last, st::discard, mask::none, GRU<float, 3, 2>>;
static_assert(same<decltype(std::declval<MixedNone::Output>().backward), Batch<float, 2>>);
static_assert(same<Bidirectional<LSTM<float, 3, 4>, merge::concat, seq::all, st::discard, mask::none,
                                 GRU<float>>::Output,
                   Sequence<float>>,
              "a dynamic width makes the concatenation dynamic");
static_assert(Bidirectional<LSTM<float>, merge::concat, seq::last, st::discard, mask::none,
                            GRU<float, 3>>::input_size_at_compile_time == 3,
              "the input size may be fixed by the backward cell alone");

// --- Errors ------------------------------------------------------------------------------------

static_assert(std::is_base_of_v<std::invalid_argument, birnn::shape_error>);
static_assert(std::is_base_of_v<std::invalid_argument, birnn::weight_error>);
static_assert(std::is_base_of_v<std::invalid_argument, birnn::mask_error>);
static_assert(std::is_base_of_v<std::invalid_argument, birnn::config_error>);
static_assert(std::is_base_of_v<std::invalid_argument, birnn::value_error>);

}  // namespace
