#pragma once
/// @file
/// `detail::write_file_atomically`: replaces a file so that it holds either all of its old
/// contents or all of the new ones, never a part, whatever stops the writer (an exception, a
/// killed process). The new contents go to `<path>.tmp`, which is flushed (and, on POSIX,
/// `fsync`ed), closed and renamed over `<path>`: `rename` within one directory is atomic on
/// POSIX file systems, and `std::filesystem::rename` replaces the old file on Windows too.
/// Used by `io::save_weights` and by `fit`'s checkpoints.

#include "birnn/errors.hpp"

#include <cstdio>
#include <filesystem>
#include <ostream>
#include <sstream>
#include <string>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace birnn::detail {

/// Calls `write(std::ostream&)` and makes what it wrote the contents of `path`, atomically;
/// `label` starts every message. When `write` throws, `path` is untouched, no temporary file
/// is left and the exception goes on.
/// @throws io_error when the temporary file cannot be written or renamed.
template <class Write>
void write_file_atomically(const std::string& path, const std::string& label, Write&& write) {
  std::ostringstream contents;
  write(static_cast<std::ostream&>(contents));
  const std::string bytes = contents.str();  // one copy of the contents (C++17 has no move-out)
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw io_error(cat(label, ": cannot open '", tmp, "' for writing"));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
#if defined(__unix__) || defined(__APPLE__)
  ok = ok && ::fsync(::fileno(f)) == 0;
#endif
  ok = (std::fclose(f) == 0) && ok;
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    throw io_error(cat(label, ": writing '", tmp, "' failed (", bytes.size(), " bytes)"));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw io_error(cat(label, ": cannot rename '", tmp, "' to '", path, "': ", ec.message()));
  }
}

}  // namespace birnn::detail
