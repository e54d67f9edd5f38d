// birnn_conformance DIR [--double] [--worker]: runs every *.json golden case in DIR through
// the runtime model built from its Keras configs (in double with --double; with --worker the
// Bidirectional layers run their two directions on two threads), prints one line per failing case with its largest
// error, ends with "N passed, M failed", and exits non-zero when any case fails. Cases that
// carry `gradients` are also run backward (recorded forward pass, then backpropagation) and
// pass only when their gradients match too. A case with `model_file` and `torch_module` is a
// PyTorch module loaded from its safetensors state_dict (Keras model files: "not supported yet").

#include "case.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::string dir;
  bool use_double = false, use_worker = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--double") == 0)
      use_double = true;
    else if (std::strcmp(argv[i], "--worker") == 0)
      use_worker = true;
    else
      dir = argv[i];
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: birnn_conformance DIR [--double] [--worker]\n");
    return 2;
  }
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  if (ec) {
    std::fprintf(stderr, "birnn_conformance: cannot read directory '%s': %s\n", dir.c_str(), ec.message().c_str());
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::optional<birnn::Worker> worker;
  if (use_worker) worker.emplace();
  birnn::Worker* w = worker ? &*worker : nullptr;
  int passed = 0, failed = 0;
  for (const auto& f : files) {
    std::string name = f.stem().string();
    try {
      const auto c = birnn::conformance::load_case(f.string());
      name = c.name;
      const auto r = use_double ? birnn::conformance::run_case<double>(c, w) : birnn::conformance::run_case<float>(c, w);
      if (r.ok) {
        ++passed;
      } else {
        ++failed;
        std::printf("FAIL %s: max abs error %.3g (atol %g, rtol %g) %s\n", name.c_str(), r.max_abs_error,
                    c.tolerance.atol, c.tolerance.rtol, r.message.c_str());
      }
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAIL %s: %s\n", name.c_str(), e.what());
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
