// amazon: why a tagger needs to read both ways (the tutorial's "Amazon" example).
//
// In "i love amazon . it is a great website" amazon is an organisation; in "i love amazon .
// it is a beautiful river" it is a place. Nothing before the word tells them apart, only a
// word after it. This program generates such sentences (tagging_data.hpp), trains two taggers
// with the same data, optimizer, epochs and about the same number of weights:
//
//   unidirectional:  Embedding(V, 16, mask_zero=True)
//                    -> LSTM(24, return_sequences=True, dropout=0.2, recurrent_dropout=0.2)
//                    -> Dense(4, softmax)
//   bidirectional:   Embedding(V, 16, mask_zero=True)
//                    -> Bidirectional(LSTM(16, return_sequences=True, dropout=0.2,
//                                          recurrent_dropout=0.2)) -> Dense(4, softmax)
//
// and prints each one's accuracy on the ambiguous words of unseen sentences: the
// bidirectional tagger gets them right, the unidirectional one can only guess.
//
//   amazon [--smoke] [--epochs N] [--history DIR]
//
// --smoke trains one epoch on 200 sentences, to run every training path under the
// sanitizers in CI without checking the accuracy; --history writes each model's history as
// CSV and SVG into DIR. A full run exits non-zero when the bidirectional tagger stays below
// 99% on the ambiguous words.

#include "tagging_data.hpp"

#include <birnn/birnn.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

namespace {

struct Result {
  double ambiguous_accuracy = 0;  // on the ambiguous words of the test set
  double token_accuracy = 0;      // on every (unmasked) word of the test set
  double seconds = 0;
};

// Accuracy of the argmax tag against the true tag, over the test sentences.
Result score(birnn::Model<float>& model, const amazon::Dataset& test) {
  const birnn::Sequence<float> p = model.predict(test.ids).front().sequence;  // (n, time, 4)
  auto argmax = [&](Eigen::Index s, Eigen::Index t) {
    Eigen::Index best = 0;
    for (Eigen::Index k = 1; k < p.features(); ++k)
      if (p(s, t, k) > p(s, t, best)) best = k;
    return best;
  };
  Result r;
  double right = 0, words = 0, right_ambiguous = 0;
  for (Eigen::Index s = 0; s < test.ids.rows(); ++s) {
    for (Eigen::Index t = 0; t < test.ids.cols(); ++t) {
      if (test.ids(s, t) == 0) continue;  // padding
      const bool ok = argmax(s, t) == static_cast<Eigen::Index>(test.tags(s, t, 0));
      right += ok;
      words += 1;
      if (t == test.ambiguous_position[static_cast<std::size_t>(s)]) right_ambiguous += ok;
    }
  }
  r.token_accuracy = right / words;
  r.ambiguous_accuracy = right_ambiguous / static_cast<double>(test.ids.rows());
  return r;
}

Result train(birnn::Model<float>& model, const amazon::Dataset& data, const amazon::Dataset& test, int epochs,
             const std::string& history_dir) {
  model.initialize(/*seed*/ 7);
  birnn::train::AdamOptions adam;
  adam.learning_rate = 0.01;
  model.compile(std::make_unique<birnn::train::Adam<float>>(adam),
                birnn::train::Loss<float>::from_name("sparse_categorical_crossentropy"), {"accuracy"});
  birnn::train::FitOptions fit;
  fit.epochs = epochs;
  fit.batch_size = 32;
  fit.validation_split = 0.1;
  fit.seed = 3;
  fit.verbose = birnn::train::Verbosity::epoch;
  const auto start = std::chrono::steady_clock::now();
  const birnn::train::History history = model.fit(data.ids, birnn::Value<float>::of(data.tags), fit);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!history_dir.empty()) {
    history.write_csv(history_dir + "/" + model.name() + ".csv");
    history.write_svg(history_dir + "/" + model.name() + ".svg", model.name() + " on the Amazon tagging data");
  }
  Result r = score(model, test);
  r.seconds = seconds;
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  bool smoke = false;
  int epochs = 0;
  std::string history_dir;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) {
      smoke = true;
    } else if (!std::strcmp(argv[i], "--epochs") && i + 1 < argc) {
      epochs = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--history") && i + 1 < argc) {
      history_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: amazon [--smoke] [--epochs N] [--history DIR]\n");
      return 2;
    }
  }
  if (epochs <= 0) epochs = smoke ? 1 : 8;
  const std::size_t train_sentences = smoke ? 200 : 3000, test_sentences = smoke ? 100 : 1000;

  const amazon::Vocabulary vocab;
  const amazon::Dataset data = amazon::make_dataset(vocab, train_sentences, /*seed*/ 1);
  const amazon::Dataset test = amazon::make_dataset(vocab, test_sentences, /*seed*/ 2);
  std::printf("Amazon tagging: %zu training sentences, %zu test sentences, vocabulary of %ld words\n",
              train_sentences, test_sentences, static_cast<long>(vocab.size()));
  std::printf("Examples (word/TAG):\n");
  for (Eigen::Index s = 0; s < 3; ++s) {
    std::printf(" ");
    for (Eigen::Index t = 0; t < data.ids.cols() && data.ids(s, t) != 0; ++t) {
      const int tag = static_cast<int>(data.tags(s, t, 0));
      std::printf(" %s%s%s", vocab.word(data.ids(s, t)).c_str(), tag ? "/" : "", tag ? amazon::tag_name(tag) : "");
    }
    std::printf("\n");
  }

  // [builder]
  // Keras: Sequential([Input((T,)), Embedding(V, 16, mask_zero=True), LSTM(24, ...), Dense(4, ...)]).
  // Every input size is inferred from the layer before; dropout acts in training only.
  namespace k = birnn::keras;
  const Eigen::Index V = vocab.size(), T = amazon::sentence_length;
  birnn::Model<float> uni = k::Sequential<float>(
      {k::Input({T}), k::Embedding(V, 16).mask_zero(),
       k::LSTM(24).return_sequences().dropout(0.2).recurrent_dropout(0.2),
       k::Dense(amazon::tag_count).activation("softmax")},
      "unidirectional");
  birnn::Model<float> bi = k::Sequential<float>(
      {k::Input({T}), k::Embedding(V, 16).mask_zero(),
       k::Bidirectional(k::LSTM(16).return_sequences().dropout(0.2).recurrent_dropout(0.2)),
       k::Dense(amazon::tag_count).activation("softmax")},
      "bidirectional");
  // [builder]

  std::printf("\n");
  uni.summary(std::cout);
  bi.summary(std::cout);

  std::printf("\nTraining the unidirectional tagger (Adam 0.01, %d epochs, batch 32):\n", epochs);
  const Result u = train(uni, data, test, epochs, history_dir);
  std::printf("\nTraining the bidirectional tagger (Adam 0.01, %d epochs, batch 32):\n", epochs);
  const Result b = train(bi, data, test, epochs, history_dir);

  std::printf("\nOn %zu unseen sentences:\n", test_sentences);
  std::printf("  %-15s  ambiguous words %6.2f%%   all words %6.2f%%   (trained in %.1f s)\n", "unidirectional",
              100 * u.ambiguous_accuracy, 100 * u.token_accuracy, u.seconds);
  std::printf("  %-15s  ambiguous words %6.2f%%   all words %6.2f%%   (trained in %.1f s)\n", "bidirectional",
              100 * b.ambiguous_accuracy, 100 * b.token_accuracy, b.seconds);
  std::printf("Chance on the ambiguous words is 50%%: each has two readings, equally likely, and\n"
              "only the words after it tell which. Reading backwards is what lets the\n"
              "bidirectional tagger see them.\n");
  // The full run must show the tutorial's point. The smoke run is for the sanitizer build:
  // it exercises every training path on little data, too little to learn the task.
  if (smoke) return 0;
  if (b.ambiguous_accuracy < 0.99) {
    std::fprintf(stderr, "amazon: the bidirectional tagger reached %.2f%% on the ambiguous words; expected at least 99%%\n",
                 100 * b.ambiguous_accuracy);
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "amazon: %s\n", e.what());
  return 1;
}
