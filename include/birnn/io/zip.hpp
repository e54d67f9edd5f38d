#pragma once
/// @file
/// Reads members of a zip archive over libzip (Debian `libzip-dev`, CMake target
/// `birnn::keras_files`): `zip::Archive::open(path)` or `zip::Archive::from_memory(bytes,
/// size, label)`, `contains(name)`, `read(name)`.
/// Members may be stored or deflated (what Python's `zipfile` writes for a `.keras` file).
///
/// The archive is untrusted: a member is read in 1 MiB pieces into a buffer that grows only
/// as real bytes arrive, so a directory that claims a huge size allocates nothing it does not
/// hold; a member must decompress to exactly the size the directory claims, at most
/// `max_member_bytes`, and pass libzip's CRC check. Failures are `io_error`s naming the
/// archive and the member.

#include "birnn/errors.hpp"

#include <zip.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace birnn::io::zip {

/// Largest member accepted (8 GiB: a model far larger than any RNN birnn serves).
inline constexpr std::uint64_t max_member_bytes = 8ull << 30;

class Archive {
 public:
  /// Opens `path` read-only. @throws io_error when it is missing or not a zip archive.
  static Archive open(const std::string& path) {
    int err = 0;
    ::zip_t* z = ::zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z) {
      ::zip_error_t e;
      ::zip_error_init_with_code(&e, err);
      const std::string why = ::zip_error_strerror(&e);
      ::zip_error_fini(&e);
      throw io_error(birnn::detail::cat("'", path, "': cannot open it as a zip archive: ", why));
    }
    return Archive(z, path, nullptr);
  }

  /// Opens an archive held in memory (libzip reads it from a buffer source; the archive keeps
  /// its own copy of the bytes). `label` names it in messages, as a path would.
  /// @throws io_error when the bytes are not a zip archive.
  static Archive from_memory(const char* bytes, std::size_t size, const std::string& label) {
    auto data = std::make_shared<const std::vector<char>>(bytes, bytes + size);
    ::zip_error_t e;
    ::zip_error_init(&e);
    // An empty buffer source still needs a non-null pointer for libzip.
    static const char empty = 0;
    ::zip_source_t* src = ::zip_source_buffer_create(data->empty() ? &empty : data->data(), data->size(), 0, &e);
    if (!src) {
      const std::string why = ::zip_error_strerror(&e);
      ::zip_error_fini(&e);
      throw io_error(birnn::detail::cat("'", label, "': cannot open it as a zip archive: ", why));
    }
    ::zip_t* z = ::zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &e);
    if (!z) {
      ::zip_source_free(src);  // still ours when the open fails
      const std::string why = ::zip_error_strerror(&e);
      ::zip_error_fini(&e);
      throw io_error(birnn::detail::cat("'", label, "': cannot open it as a zip archive: ", why));
    }
    ::zip_error_fini(&e);
    return Archive(z, label, std::move(data));
  }

  /// True when the archive has a member called exactly `name`.
  bool contains(const std::string& name) const { return ::zip_name_locate(z_.get(), name.c_str(), 0) >= 0; }

  /// The names of the members, in the archive's order.
  std::vector<std::string> members() const {
    std::vector<std::string> names;
    const ::zip_int64_t n = ::zip_get_num_entries(z_.get(), 0);
    for (::zip_int64_t i = 0; i < n; ++i)
      if (const char* s = ::zip_get_name(z_.get(), static_cast<::zip_uint64_t>(i), 0)) names.emplace_back(s);
    return names;
  }

  /// The bytes of member `name`. @throws io_error when it is absent, too large, truncated
  /// or corrupt (CRC), or decompresses to another size than the directory says.
  std::vector<char> read(const std::string& name) const {
    const std::string where = birnn::detail::cat("'", path_, "' member '", name, "'");
    const ::zip_int64_t index = ::zip_name_locate(z_.get(), name.c_str(), 0);
    if (index < 0) throw io_error(birnn::detail::cat("'", path_, "': no member '", name, "' in the archive"));
    ::zip_stat_t st;
    ::zip_stat_init(&st);
    if (::zip_stat_index(z_.get(), static_cast<::zip_uint64_t>(index), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      throw io_error(where + ": cannot read its directory entry");
    if (st.size > max_member_bytes)
      throw io_error(birnn::detail::cat(where, ": claims ", st.size, " bytes, more than the ", max_member_bytes,
                                        " accepted"));
    std::unique_ptr<::zip_file_t, int (*)(::zip_file_t*)> f(
        ::zip_fopen_index(z_.get(), static_cast<::zip_uint64_t>(index), 0), &::zip_fclose);
    if (!f)
      throw io_error(birnn::detail::cat(where, ": cannot open it: ", ::zip_strerror(z_.get()),
                                        " (only stored and deflated members are read)"));
    std::vector<char> bytes;
    constexpr std::size_t piece = 1u << 20;
    for (;;) {
      const std::size_t at = bytes.size();
      // Never past the claimed size + 1: one byte more than claimed is already an error.
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(piece, st.size + 1 - static_cast<std::uint64_t>(at)));
      if (want == 0) break;
      bytes.resize(at + want);
      const ::zip_int64_t got = ::zip_fread(f.get(), bytes.data() + at, want);
      if (got < 0)
        throw io_error(birnn::detail::cat(where, ": cannot read it: ", ::zip_file_strerror(f.get()),
                                          " (truncated or corrupt archive?)"));
      bytes.resize(at + static_cast<std::size_t>(got));
      if (got == 0) break;
    }
    if (bytes.size() != st.size)
      throw io_error(birnn::detail::cat(where, ": the directory says ", st.size, " bytes, the data holds ",
                                        bytes.size() > st.size ? "more" : std::to_string(bytes.size())));
    return bytes;
  }

  const std::string& path() const { return path_; }

 private:
  Archive(::zip_t* z, std::string path, std::shared_ptr<const std::vector<char>> data)
      : data_(std::move(data)), z_(z, &::zip_discard), path_(std::move(path)) {}
  std::shared_ptr<const std::vector<char>> data_;  // the bytes of an in-memory archive; outlives z_
  std::unique_ptr<::zip_t, void (*)(::zip_t*)> z_;
  std::string path_;
};

}  // namespace birnn::io::zip
