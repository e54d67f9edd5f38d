// Smallest use of birnn from a project that finds an installed copy with find_package();
// with birnn::keras_files, also a call into HDF5 and one into libzip (both must link).
#include <birnn/birnn.hpp>

#ifdef BIRNN_CONSUMER_KERAS_FILES
#include <birnn/io/hdf5.hpp>
#include <birnn/io/zip.hpp>

#include <vector>

// Both readers refuse bytes that are neither HDF5 nor a zip, with birnn's io_error.
static bool file_readers_link() {
  const std::vector<char> junk(64, 'x');
  int refused = 0;
  try {
    (void)birnn::io::hdf5::File::from_memory(junk, "junk.h5");
  } catch (const birnn::io_error&) {
    ++refused;
  }
  try {
    (void)birnn::io::zip::Archive::from_memory(junk.data(), junk.size(), "junk.keras");
  } catch (const birnn::io_error&) {
    ++refused;
  }
  return refused == 2;
}
#else
static bool file_readers_link() { return true; }
#endif

int main() {
    birnn::Sequence<float> x(1, 2, 3);
    return x.batch() == 1 && file_readers_link() ? 0 : 1;
}
