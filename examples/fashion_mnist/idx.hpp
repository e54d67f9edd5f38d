#pragma once
// Reading the IDX files of MNIST and Fashion-MNIST (the format of Debian's
// dataset-fashion-mnist, after gunzip): a big-endian header with a magic number whose third
// byte is the element type (0x08 = unsigned byte) and whose fourth is the rank, the
// dimensions as big-endian uint32, then the bytes.

#include <birnn/birnn.hpp>

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fashion {

struct Idx {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

inline Idx read_idx(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw birnn::io_error("fashion_mnist: cannot open '" + path + "'");
  unsigned char h[4];
  if (!f.read(reinterpret_cast<char*>(h), 4) || h[0] != 0 || h[1] != 0 || h[2] != 0x08 || h[3] == 0 || h[3] > 4)
    throw birnn::io_error("fashion_mnist: '" + path + "': expected an IDX file of unsigned bytes (magic 0x0000080N)");
  Idx idx;
  std::uint64_t n = 1;
  for (int k = 0; k < h[3]; ++k) {
    unsigned char d[4];
    if (!f.read(reinterpret_cast<char*>(d), 4)) throw birnn::io_error("fashion_mnist: '" + path + "': header cut short");
    const std::uint32_t v = (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) | d[3];
    idx.dims.push_back(v);
    n *= v;
  }
  if (n > (std::uint64_t{1} << 31)) throw birnn::io_error("fashion_mnist: '" + path + "': too large");
  idx.data.resize(static_cast<std::size_t>(n));
  if (!f.read(reinterpret_cast<char*>(idx.data.data()), static_cast<std::streamsize>(n)))
    throw birnn::io_error("fashion_mnist: '" + path + "': expected " + std::to_string(n) + " bytes of data, got fewer");
  return idx;
}

// Images (n, 28, 28) as a Sequence (n, 28 rows = steps, 28 pixels = features) scaled to [0, 1],
// and labels (n, 1) as class ids, keeping at most `limit` samples (0: all).
struct Split {
  birnn::Sequence<float> images;
  birnn::Batch<float> labels;
};

inline Split read_split(const std::string& images_path, const std::string& labels_path, std::size_t limit) {
  const Idx im = read_idx(images_path), lb = read_idx(labels_path);
  if (im.dims.size() != 3 || lb.dims.size() != 1 || im.dims[0] != lb.dims[0])
    throw birnn::shape_error("fashion_mnist: expected images (n, rows, cols) and labels (n) with the same n");
  std::size_t n = im.dims[0];
  if (limit && limit < n) n = limit;
  const auto rows = static_cast<Eigen::Index>(im.dims[1]), cols = static_cast<Eigen::Index>(im.dims[2]);
  Split s{birnn::Sequence<float>(static_cast<Eigen::Index>(n), rows, cols),
          birnn::Batch<float>(static_cast<Eigen::Index>(n), 1)};
  const std::size_t per = static_cast<std::size_t>(rows * cols);
  for (std::size_t i = 0; i < n; ++i) {
    for (Eigen::Index r = 0; r < rows; ++r)
      for (Eigen::Index c = 0; c < cols; ++c)
        s.images(static_cast<Eigen::Index>(i), r, c) =
            static_cast<float>(im.data[i * per + static_cast<std::size_t>(r * cols + c)]) / 255.0f;
    s.labels(static_cast<Eigen::Index>(i), 0) = static_cast<float>(lb.data[i]);
  }
  return s;
}

}  // namespace fashion
