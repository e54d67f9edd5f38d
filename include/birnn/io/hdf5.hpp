#pragma once
/// @file
/// A small read-only view of an HDF5 file over HDF5's own C library (Debian `libhdf5-dev`,
/// CMake target `birnn::keras_files`): what the Keras file loaders need and nothing more.
///
/// - `hdf5::File::open(path)` or `hdf5::File::from_memory(bytes, name)` (a member of a
///   `.keras` zip, opened through HDF5's core driver and file image: no temporary file);
/// - `Group`: `contains`, `group`, `members` (in HDF5's name order), `attribute_strings`,
///   `has_attribute`, `dataset`;
/// - `Dataset`: `shape()`, and `read<Scalar>(expected_shape)`, which compares the shape the
///   file claims with the one the model needs *before* allocating, so a file cannot make
///   birnn allocate more than the model it describes.
///
/// Every failure is an `io_error` that names the file and the object path. HDF5's own error
/// printing is switched off for the duration of each call (and restored), so a bad file
/// does not write HDF5's diagnostics to stderr. Handles close themselves (RAII).

#include "birnn/errors.hpp"
#include "birnn/types/tensor.hpp"

#include <hdf5.h>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace birnn::io::hdf5 {

/// Largest string attribute accepted (Keras's `model_config` of a big model is well under 1 MiB).
inline constexpr std::size_t max_attribute_bytes = 64u << 20;
/// Most dimensions a dataset may have.
inline constexpr int max_rank = 8;

namespace detail {
using birnn::detail::cat;

/// Switches HDF5's automatic error printing off while alive, then restores it.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// An HDF5 identifier and the function that closes it.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Id& operator=(Id&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

 private:
  void reset() {
    if (id_ >= 0 && close_) {
      QuietErrors quiet;
      close_(id_);
    }
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

inline std::string join(const std::string& path, const std::string& name) {
  if (path.empty() || path == "/") return "/" + name;
  return path + "/" + name;
}

/// The element count of `dims`, or -1 when it overflows Eigen::Index.
inline Eigen::Index element_count(const std::vector<Eigen::Index>& dims) {
  Eigen::Index n = 1;
  for (const Eigen::Index d : dims) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<Eigen::Index>::max() / d) return -1;
    n *= d;
  }
  return n;
}

/// `[2, 12]`.
inline std::string shape_string(const std::vector<Eigen::Index>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace detail

class Group;

/// A numeric dataset (a weight).
class Dataset {
 public:
  /// The shape the file claims.
  const std::vector<Eigen::Index>& shape() const { return shape_; }
  /// The object's path in the file, e.g. `/model_weights/dense/dense/kernel:0`.
  const std::string& path() const { return path_; }

  /// Reads the values, converted to `Scalar` by HDF5, after checking that the file's shape
  /// is `expected` (the model's). @throws weight_error for another shape, io_error when the
  /// dataset is not floating point or cannot be read.
  template <class Scalar>
  Tensor<Scalar> read(const std::vector<Eigen::Index>& expected, const std::string& what) const {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "birnn::io::hdf5::Dataset::read: Scalar must be float or double");
    if (shape_ != expected)
      throw weight_error(detail::cat(what, ": shape: expected ", detail::shape_string(expected), ", got ",
                                     detail::shape_string(shape_), " in '", file_, "' at ", path_));
    detail::QuietErrors quiet;
    detail::Id type(H5Dget_type(id_.get()), H5Tclose);
    if (!type || H5Tget_class(type.get()) != H5T_FLOAT)
      throw io_error(detail::cat(what, ": expected a floating-point dataset in '", file_, "' at ", path_));
    Tensor<Scalar> t;
    t.shape = shape_;
    t.values.resize(static_cast<std::size_t>(detail::element_count(shape_)));
    if (!t.values.empty()) {
      const hid_t mem = std::is_same_v<Scalar, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
      if (H5Dread(id_.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()) < 0)
        throw io_error(detail::cat(what, ": cannot read the values of '", file_, "' at ", path_,
                                   " (truncated or corrupt file?)"));
    }
    return t;
  }

 private:
  friend class Group;
  Dataset(detail::Id id, std::string path, std::string file, std::vector<Eigen::Index> shape)
      : id_(std::move(id)), path_(std::move(path)), file_(std::move(file)), shape_(std::move(shape)) {}
  detail::Id id_;
  std::string path_, file_;
  std::vector<Eigen::Index> shape_;
};

/// A group of an open file (the root group included). Keeps the file open.
class Group {
 public:
  const std::string& path() const { return path_; }
  const std::string& file_name() const { return file_->name; }

  /// True when the group holds a link called `name` (one level, no '/').
  bool contains(const std::string& name) const {
    detail::QuietErrors quiet;
    if (name.empty() || name.find('/') != std::string::npos) return false;
    return H5Lexists(id_->get(), name.c_str(), H5P_DEFAULT) > 0;
  }
  /// True when `name` is a group in this group.
  bool contains_group(const std::string& name) const { return contains(name) && kind(name) == H5O_TYPE_GROUP; }
  /// True when `name` is a dataset in this group.
  bool contains_dataset(const std::string& name) const { return contains(name) && kind(name) == H5O_TYPE_DATASET; }

  /// The sub-group `name`. @throws io_error when there is none.
  Group group(const std::string& name) const {
    if (!contains_group(name))
      throw io_error(detail::cat("'", file_->name, "': expected a group ", detail::join(path_, name)));
    detail::QuietErrors quiet;
    detail::Id g(H5Gopen2(id_->get(), name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g) throw io_error(detail::cat("'", file_->name, "': cannot open the group ", detail::join(path_, name)));
    return Group(file_, std::move(g), detail::join(path_, name));
  }

  /// Follows a '/'-separated path of groups ("model_weights/lstm").
  Group group_path(const std::string& relative) const {
    Group g = *this;
    std::size_t start = 0;
    while (start <= relative.size()) {
      const std::size_t end = relative.find('/', start);
      const std::string part = relative.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!part.empty()) g = g.group(part);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return g;
  }

  /// The names of the links in this group, in HDF5's name order.
  std::vector<std::string> members() const {
    detail::QuietErrors quiet;
    H5G_info_t info;
    if (H5Gget_info(id_->get(), &info) < 0)
      throw io_error(detail::cat("'", file_->name, "': cannot list the group ", path_));
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t n = H5Lget_name_by_idx(id_->get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      if (n < 0 || static_cast<std::size_t>(n) > 65535)
        throw io_error(detail::cat("'", file_->name, "': cannot read a link name in ", path_));
      std::string name(static_cast<std::size_t>(n) + 1, '\0');
      if (H5Lget_name_by_idx(id_->get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
        throw io_error(detail::cat("'", file_->name, "': cannot read a link name in ", path_));
      name.resize(static_cast<std::size_t>(n));
      names.push_back(std::move(name));
    }
    return names;
  }

  /// The dataset `name`. @throws io_error when there is none, or it is not a simple array.
  Dataset dataset(const std::string& name) const {
    const std::string where = detail::join(path_, name);
    if (!contains_dataset(name)) throw io_error(detail::cat("'", file_->name, "': expected a dataset ", where));
    detail::QuietErrors quiet;
    detail::Id d(H5Dopen2(id_->get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d) throw io_error(detail::cat("'", file_->name, "': cannot open the dataset ", where));
    detail::Id space(H5Dget_space(d.get()), H5Sclose);
    const int rank = space ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 0 || rank > max_rank)
      throw io_error(detail::cat("'", file_->name, "': ", where, ": expected a simple array of rank <= ", max_rank,
                                 ", got rank ", rank));
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
      throw io_error(detail::cat("'", file_->name, "': cannot read the shape of ", where));
    std::vector<Eigen::Index> shape;
    for (const hsize_t v : dims) {
      if (v > static_cast<hsize_t>(std::numeric_limits<Eigen::Index>::max()))
        throw io_error(detail::cat("'", file_->name, "': ", where, ": a dimension is too large: ", v));
      shape.push_back(static_cast<Eigen::Index>(v));
    }
    if (detail::element_count(shape) < 0)
      throw io_error(detail::cat("'", file_->name, "': ", where, ": the shape ", detail::shape_string(shape),
                                 " overflows"));
    return Dataset(std::move(d), where, file_->name, std::move(shape));
  }

  /// True when the group has the attribute `name`.
  bool has_attribute(const std::string& name) const {
    detail::QuietErrors quiet;
    return H5Aexists(id_->get(), name.c_str()) > 0;
  }

  /// A string attribute (scalar or 1-D; fixed or variable length) as a list of strings.
  /// A fixed-length string ends at its first NUL. @throws io_error when it is absent, not a
  /// string, or larger than `max_attribute_bytes`.
  std::vector<std::string> attribute_strings(const std::string& name) const {
    const std::string where = detail::cat(path_, " attribute '", name, "'");
    if (!has_attribute(name)) throw io_error(detail::cat("'", file_->name, "': expected the ", where));
    detail::QuietErrors quiet;
    detail::Id attr(H5Aopen(id_->get(), name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!attr) throw io_error(detail::cat("'", file_->name, "': cannot open the ", where));
    detail::Id space(H5Aget_space(attr.get()), H5Sclose);
    const int rank = space ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 0 || rank > 1)
      throw io_error(detail::cat("'", file_->name, "': the ", where, ": expected a scalar or a list, got rank ", rank));
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    if (count < 0 || static_cast<std::size_t>(count) > max_attribute_bytes)
      throw io_error(detail::cat("'", file_->name, "': the ", where, " has a bad size"));
    // An empty list has no strings whatever its type (h5py writes an empty `weight_names`
    // as a float64 array of shape [0]).
    if (count == 0 && rank == 1) return {};
    detail::Id type(H5Aget_type(attr.get()), H5Tclose);
    if (!type || H5Tget_class(type.get()) != H5T_STRING)
      throw io_error(detail::cat("'", file_->name, "': the ", where, " is not a string"));
    const auto n = static_cast<std::size_t>(count);
    std::vector<std::string> out;
    out.reserve(n);
    const H5T_cset_t cset = H5Tget_cset(type.get());
    if (H5Tis_variable_str(type.get()) > 0) {
      detail::Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
      if (!mem || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 || H5Tset_cset(mem.get(), cset) < 0)
        throw io_error(detail::cat("'", file_->name, "': cannot read the ", where));
      std::vector<char*> ptrs(n, nullptr);
      if (n && H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) {
        // A read that fails part way may have allocated some of the strings already.
        for (char* p : ptrs)
          if (p) H5free_memory(p);
        throw io_error(detail::cat("'", file_->name, "': cannot read the ", where));
      }
      std::size_t total = 0;
      for (char* p : ptrs) {
        const std::size_t len = p ? std::strlen(p) : 0;
        total += len;
        if (total <= max_attribute_bytes) out.emplace_back(p ? p : "", len);
      }
      if (n) H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
      if (total > max_attribute_bytes)
        throw io_error(detail::cat("'", file_->name, "': the ", where, " is larger than ", max_attribute_bytes, " bytes"));
    } else {
      const std::size_t size = H5Tget_size(type.get());
      if (size == 0 || (n && size > max_attribute_bytes / n))
        throw io_error(detail::cat("'", file_->name, "': the ", where, " is larger than ", max_attribute_bytes, " bytes"));
      // The bytes HDF5 really stores for it: a claimed size must match them.
      if (H5Aget_storage_size(attr.get()) != static_cast<hsize_t>(size * n))
        throw io_error(detail::cat("'", file_->name, "': the ", where, " is truncated or corrupt"));
      detail::Id mem(H5Tcopy(type.get()), H5Tclose);
      std::vector<char> bytes(size * n);
      if (n && (!mem || H5Aread(attr.get(), mem.get(), bytes.data()) < 0))
        throw io_error(detail::cat("'", file_->name, "': cannot read the ", where));
      for (std::size_t i = 0; i < n; ++i) {
        const char* s = bytes.data() + i * size;
        std::size_t len = 0;
        while (len < size && s[len] != '\0') ++len;
        out.emplace_back(s, len);
      }
    }
    return out;
  }

  /// A scalar string attribute. @throws io_error when absent or not one string.
  std::string attribute_string(const std::string& name) const {
    auto v = attribute_strings(name);
    if (v.size() != 1)
      throw io_error(detail::cat("'", file_->name, "': ", path_, " attribute '", name, "': expected one string, got ",
                                 v.size()));
    return std::move(v.front());
  }

 private:
  friend class File;
  struct Shared {
    detail::Id file;
    std::string name;
  };
  Group(std::shared_ptr<const Shared> file, detail::Id id, std::string path)
      : file_(std::move(file)), id_(std::make_shared<detail::Id>(std::move(id))), path_(std::move(path)) {}
  H5O_type_t kind(const std::string& name) const {
    detail::QuietErrors quiet;
    H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
    if (H5Oget_info_by_name3(id_->get(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
#else
    if (H5Oget_info_by_name2(id_->get(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
#endif
    return info.type;
  }

  std::shared_ptr<const Shared> file_;
  std::shared_ptr<detail::Id> id_;  // shared: a Group is copied (sub-groups are returned by value)
  std::string path_;
};

/// An HDF5 file opened read-only.
class File {
 public:
  /// True when `bytes` start with HDF5's signature (a file with no user block).
  static bool has_signature(const char* bytes, std::size_t size) {
    static constexpr unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    return size >= 8 && std::memcmp(bytes, sig, 8) == 0;
  }

  /// Opens `path`. @throws io_error when it is missing or not an HDF5 file.
  static File open(const std::string& path) {
    detail::QuietErrors quiet;
    auto shared = std::make_shared<Group::Shared>();
    shared->name = path;
    shared->file = detail::Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!shared->file) throw io_error(detail::cat("'", path, "': cannot open it as an HDF5 file"));
    return File(std::move(shared));
  }

  /// Opens an HDF5 file held in memory (HDF5's core driver and a file image; HDF5 keeps its
  /// own copy). `name` is used in messages. @throws io_error when the bytes are not HDF5.
  static File from_memory(const std::vector<char>& bytes, const std::string& name) {
    detail::QuietErrors quiet;
    if (!has_signature(bytes.data(), bytes.size()))
      throw io_error(detail::cat("'", name, "': not an HDF5 file (no HDF5 signature)"));
    detail::Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    if (!fapl || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0)
      throw io_error(detail::cat("'", name, "': cannot set up HDF5's in-memory driver"));
    auto shared = std::make_shared<Group::Shared>();
    shared->name = name;
    shared->file = detail::Id(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
    if (!shared->file) throw io_error(detail::cat("'", name, "': cannot open it as an HDF5 file (corrupt?)"));
    return File(std::move(shared));
  }

  /// The root group.
  Group root() const {
    detail::QuietErrors quiet;
    detail::Id g(H5Gopen2(shared_->file.get(), "/", H5P_DEFAULT), H5Gclose);
    if (!g) throw io_error(detail::cat("'", shared_->name, "': cannot open the root group"));
    return Group(shared_, std::move(g), "/");
  }

  const std::string& name() const { return shared_->name; }

 private:
  explicit File(std::shared_ptr<Group::Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<const Group::Shared> shared_;
};

}  // namespace birnn::io::hdf5
