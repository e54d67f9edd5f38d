// fashion_mnist: the tutorial's BiLSTM on real data. Each 28x28 Fashion-MNIST image is read
// row by row, as a sequence of 28 steps of 28 pixels:
//
//   Bidirectional(LSTM(128)) -> Dense(10, softmax),  Adam, sparse_categorical_crossentropy
//
// Data: Debian's dataset-fashion-mnist (scripts/fashion_mnist.sh installs it and unpacks the
// IDX files into build/data/fashion-mnist).
//
//   fashion_mnist [--data DIR] [--epochs N] [--units N] [--limit N] [--test-limit N]
//                 [--batch N] [--history DIR] [--threads 1|2] [--min-accuracy A]
//
// Prints the time of every epoch and the test accuracy, writes the history (CSV and SVG)
// into --history DIR when given, and exits non-zero when the test accuracy is below
// --min-accuracy (default 0).

#include "idx.hpp"

#include <birnn/birnn.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) try {
  std::string data = "build/data/fashion-mnist", history_dir;
  int epochs = 8, threads = 2;
  long units = 128, batch = 64;
  std::size_t limit = 0, test_limit = 0;
  double min_accuracy = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--data" && has_value) data = argv[++i];
    else if (a == "--epochs" && has_value) epochs = std::atoi(argv[++i]);
    else if (a == "--units" && has_value) units = std::atol(argv[++i]);
    else if (a == "--limit" && has_value) limit = static_cast<std::size_t>(std::atol(argv[++i]));
    else if (a == "--test-limit" && has_value) test_limit = static_cast<std::size_t>(std::atol(argv[++i]));
    else if (a == "--batch" && has_value) batch = std::atol(argv[++i]);
    else if (a == "--history" && has_value) history_dir = argv[++i];
    else if (a == "--threads" && has_value) threads = std::atoi(argv[++i]);
    else if (a == "--min-accuracy" && has_value) min_accuracy = std::atof(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: fashion_mnist [--data DIR] [--epochs N] [--units N] [--limit N] [--test-limit N]\n"
                   "                     [--batch N] [--history DIR] [--threads 1|2] [--min-accuracy A]\n");
      return 2;
    }
  }
  if (epochs < 1 || units < 1 || batch < 1 || (threads != 1 && threads != 2)) {
    std::fprintf(stderr, "fashion_mnist: expected --epochs, --units, --batch >= 1 and --threads 1 or 2\n");
    return 2;
  }

  const fashion::Split train = fashion::read_split(data + "/train-images-idx3-ubyte", data + "/train-labels-idx1-ubyte", limit);
  const fashion::Split test = fashion::read_split(data + "/t10k-images-idx3-ubyte", data + "/t10k-labels-idx1-ubyte", test_limit);
  std::printf("Fashion-MNIST: %ld training and %ld test images, each 28 steps of 28 pixels\n",
              static_cast<long>(train.images.batch()), static_cast<long>(test.images.batch()));

  // Keras: Sequential([Input((28, 28)), Bidirectional(LSTM(units)), Dense(10, activation="softmax")]).
  namespace k = birnn::keras;
  birnn::Model<float> model = k::Sequential<float>(
      {k::Input({28, 28}), k::Bidirectional(k::LSTM(units)), k::Dense(10).activation("softmax")}, "fashion_bilstm");
  model.summary(std::cout);
  birnn::Worker worker;  // the backward direction on the second core
  if (threads == 2) model.set_worker(&worker);

  model.initialize(/*seed*/ 42);
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});

  birnn::train::FitOptions fit;
  fit.epochs = 1;  // one epoch at a time, to time each
  fit.batch_size = batch;
  fit.seed = 5;
  fit.verbose = birnn::train::Verbosity::automatic;
  birnn::train::History history;
  const auto labels = birnn::Value<float>::of(train.labels);
  const auto test_labels = birnn::Value<float>::of(test.labels);
  for (int e = 0; e < epochs; ++e) {
    fit.seed = 5 + static_cast<std::uint64_t>(e);
    const auto start = std::chrono::steady_clock::now();
    const birnn::train::History h = model.fit(train.images, labels, fit);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto v = model.evaluate(test.images, test_labels, 256);
    history.add("loss", h["loss"].front());
    history.add("accuracy", h["accuracy"].front());
    history.add("val_loss", v.at("loss"));
    history.add("val_accuracy", v.at("accuracy"));
    std::printf("epoch %d/%d: %.1f s (%.0f images/s)  loss %.4f  accuracy %.4f  test loss %.4f  test accuracy %.4f\n",
                e + 1, epochs, seconds, static_cast<double>(train.images.batch()) / seconds, h["loss"].front(),
                h["accuracy"].front(), v.at("loss"), v.at("accuracy"));
    std::fflush(stdout);
  }
  const double accuracy = history["val_accuracy"].back();
  std::printf("test accuracy: %.4f\n", accuracy);
  if (!history_dir.empty()) {
    history.write_csv(history_dir + "/fashion_mnist.csv");
    history.write_svg(history_dir + "/fashion_mnist.svg", "Bidirectional(LSTM(" + std::to_string(units) +
                                                              ")) on Fashion-MNIST (validation = test set)");
    std::printf("history: %s/fashion_mnist.csv and .svg\n", history_dir.c_str());
  }
  if (accuracy < min_accuracy) {
    std::fprintf(stderr, "fashion_mnist: test accuracy %.4f; expected at least %.4f\n", accuracy, min_accuracy);
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
