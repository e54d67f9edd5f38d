#pragma once
/// @file
/// A reader of the safetensors format (Hugging Face's; what `safetensors.torch.save_file`
/// writes from a PyTorch `state_dict`): `io::read_safetensors<Scalar>(path)` gives every
/// tensor by name as a `Tensor<Scalar>` (shape and row-major values), and the
/// `__metadata__` strings.
///
/// Format: an unsigned 64-bit little-endian header length N, N bytes of JSON
/// `{"<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"<key>": "<value>"}}`, then the data region; offsets are relative to
/// it, values little-endian and row-major. F32 and F64 are converted to `Scalar`; F16 and
/// BF16 are widened exactly to float first. Any other dtype is an `io_error` naming it.
///
/// The bytes are untrusted: the header length is checked against the file size (and a
/// 100 MiB cap) before anything is allocated, the JSON may nest at most three levels, and
/// every tensor's offsets must lie inside the data region, not overlap another tensor's,
/// and span exactly `product(shape) * dtype size` bytes (computed with overflow checks).
/// Nothing is allocated beyond what the real file holds. Needs nlohmann_json (CMake target
/// `birnn::keras`), like `io/keras_model.hpp`.

#include "birnn/errors.hpp"
#include "birnn/types/tensor.hpp"

#include <nlohmann/json.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace birnn::io {

/// The contents of a safetensors file.
template <class Scalar>
struct Safetensors {
  std::map<std::string, Tensor<Scalar>> tensors;    ///< by name, in the file's dtype converted to Scalar
  std::map<std::string, std::string> metadata;      ///< `__metadata__`, empty when absent
};

/// Largest header accepted (the format's own reference reader uses the same cap).
inline constexpr std::uint64_t safetensors_max_header = 100ull << 20;

namespace detail {
using birnn::detail::cat;

/// IEEE 754 half precision bits to float (exact: every half is a float).
inline float half_to_float(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  float v;
  if (exponent == 0)
    v = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  else if (exponent == 31)
    v = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    v = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return (h & 0x8000) ? -v : v;
}

/// bfloat16 bits to float: the top half of a float's bits.
inline float bfloat16_to_float(std::uint16_t b) {
  const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

inline std::uint64_t le_bytes(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(p[k]) << (8 * k);
  return v;
}

/// One value at `p` of the dtype (`size` bytes), as Scalar.
template <class Scalar>
Scalar decode(const unsigned char* p, int size, bool brain) {
  const std::uint64_t bits = le_bytes(p, size);
  if (size == 2) {
    const auto h = static_cast<std::uint16_t>(bits);
    return static_cast<Scalar>(brain ? bfloat16_to_float(h) : half_to_float(h));
  }
  if (size == 4) {
    const auto b = static_cast<std::uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, sizeof f);
    return static_cast<Scalar>(f);
  }
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return static_cast<Scalar>(d);
}

/// The byte size of a supported dtype; 0 for any other.
inline int dtype_size(const std::string& dtype) {
  if (dtype == "F64") return 8;
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return 0;
}

/// A non-negative JSON integer, or an io_error naming `what`.
inline std::uint64_t json_count(const nlohmann::json& j, const std::string& label, const std::string& what) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
    throw io_error(cat(label, ": ", what, ": expected a non-negative integer, got ", j.dump()));
  return j.get<std::uint64_t>();
}

/// One tensor entry of the header, read from `data` (the data region, `data_size` bytes).
template <class Scalar>
Tensor<Scalar> read_tensor(const nlohmann::json& entry, const unsigned char* data, std::uint64_t data_size,
                           const std::string& label, std::pair<std::uint64_t, std::uint64_t>& span) {
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
    throw io_error(cat(label, ": expected an object with 'dtype', 'shape' and 'data_offsets', got ",
                       entry.dump().substr(0, 120)));
  const auto& dt = entry["dtype"];
  if (!dt.is_string()) throw io_error(cat(label, ": dtype: expected a string, got ", dt.dump()));
  const std::string dtype = dt.get<std::string>();
  const int size = dtype_size(dtype);
  if (size == 0) throw io_error(cat(label, ": dtype: expected F32, F64, F16 or BF16, got '", dtype, "'"));

  const auto& sh = entry["shape"];
  if (!sh.is_array()) throw io_error(cat(label, ": shape: expected a list of sizes, got ", sh.dump()));
  Tensor<Scalar> t;
  std::uint64_t count = 1;
  constexpr auto index_max = static_cast<std::uint64_t>(std::numeric_limits<Eigen::Index>::max());
  for (const auto& d : sh) {
    const std::uint64_t n = json_count(d, label, "shape");
    if (n > index_max || (n != 0 && count > index_max / n))
      throw io_error(cat(label, ": shape ", sh.dump(), ": expected a product of at most ", index_max,
                         " elements, got one that overflows"));
    count *= n;
    t.shape.push_back(static_cast<Eigen::Index>(n));
  }
  const auto& off = entry["data_offsets"];
  if (!off.is_array() || off.size() != 2)
    throw io_error(cat(label, ": data_offsets: expected [begin, end], got ", off.dump()));
  const std::uint64_t begin = json_count(off[0], label, "data_offsets"), end = json_count(off[1], label, "data_offsets");
  if (begin > end || end > data_size)
    throw io_error(cat(label, ": data_offsets: expected 0 <= begin <= end <= ", data_size,
                       " (the data region's size), got [", begin, ", ", end, "]"));
  const auto unit = static_cast<std::uint64_t>(size);
  if (count > std::numeric_limits<std::uint64_t>::max() / unit || count * unit != end - begin)
    throw io_error(cat(label, ": data_offsets [", begin, ", ", end, "]: expected ", count, " ", dtype,
                       " values of shape ", shape_string(t.shape), " (", count, " * ", size, " bytes), got ",
                       end - begin, " bytes"));
  span = {begin, end};
  // count * size <= data_size: the allocation is bounded by the file.
  t.values.resize(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i)
    t.values[static_cast<std::size_t>(i)] = decode<Scalar>(data + begin + i * unit, size, dtype == "BF16");
  return t;
}

/// Throws unless a header of `n` bytes fits in a file of `size` bytes (>= 8) and the cap.
inline void check_header_length(std::uint64_t n, std::uint64_t size, const std::string& label) {
  if (n > size - 8 || n > safetensors_max_header)
    throw io_error(cat(label, ": header length: expected at most ", std::min(size - 8, safetensors_max_header),
                       " bytes (the file holds ", size, "), got ", n));
}

}  // namespace detail

/// Parses a safetensors file held in memory; `label` names it in errors.
/// @throws io_error for anything that is not a well-formed safetensors file of F32, F64,
///         F16 or BF16 tensors.
template <class Scalar>
Safetensors<Scalar> parse_safetensors(const unsigned char* bytes, std::uint64_t size, const std::string& label) {
  using birnn::detail::cat;
  using json = nlohmann::json;
  if (size < 8) throw io_error(cat(label, ": size: expected at least 8 bytes (the header length), got ", size));
  const std::uint64_t n = detail::le_bytes(bytes, 8);
  detail::check_header_length(n, size, label);
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  // At most three levels: the header object, a tensor's object, its shape or offsets.
  const json::parser_callback_t depth = [&](int level, json::parse_event_t e, json&) {
    if ((e == json::parse_event_t::object_start || e == json::parse_event_t::array_start) && level >= 3)
      throw io_error(cat(label, ": header: expected JSON nested at most 3 levels deep, got more"));
    return true;
  };
  json header;
  try {
    header = json::parse(text, text + n, depth);
  } catch (const json::exception& e) {
    throw io_error(cat(label, ": header: expected JSON, got text that is not (", e.what(), ")"));
  }
  if (!header.is_object()) throw io_error(cat(label, ": header: expected a JSON object, got ", header.type_name()));

  Safetensors<Scalar> out;
  const unsigned char* data = bytes + 8 + n;
  const std::uint64_t data_size = size - 8 - n;
  std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, std::string>> spans;
  for (auto item = header.cbegin(); item != header.cend(); ++item) {
    const std::string& name = item.key();
    const json& entry = item.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw io_error(cat(label, ": __metadata__: expected an object, got ", entry.type_name()));
      for (auto meta = entry.cbegin(); meta != entry.cend(); ++meta) {
        const std::string& key = meta.key();
        const json& value = meta.value();
        if (!value.is_string())
          throw io_error(cat(label, ": __metadata__ '", key, "': expected a string, got ", value.dump()));
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    std::pair<std::uint64_t, std::uint64_t> span;
    out.tensors[name] = detail::read_tensor<Scalar>(entry, data, data_size, cat(label, ": tensor '", name, "'"), span);
    if (span.first != span.second) spans.push_back({span, name});
  }
  std::sort(spans.begin(), spans.end());
  for (std::size_t k = 1; k < spans.size(); ++k)
    if (spans[k].first.first < spans[k - 1].first.second)
      throw io_error(cat(label, ": tensor '", spans[k].second, "': data_offsets: expected to begin at or after ",
                         spans[k - 1].first.second, " (where tensor '", spans[k - 1].second, "' ends), got ",
                         spans[k].first.first));
  return out;
}

/// Reads the safetensors file at `path` (see the file comment).
/// @throws io_error when it cannot be read or is not a well-formed safetensors file; the
///         message names the file, the tensor, what was expected and what came.
template <class Scalar>
Safetensors<Scalar> read_safetensors(const std::string& path) {
  using birnn::detail::cat;
  const std::string label = cat("birnn::io::read_safetensors '", path, "'");
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw io_error(cat(label, ": cannot read the file (", ec.message(), ")"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(cat(label, ": cannot open the file"));
  // The header length first, so that a bad one is refused before the file is read whole.
  unsigned char head[8] = {};
  const auto got = static_cast<std::uint64_t>(in.read(reinterpret_cast<char*>(head), 8).gcount());
  if (got < 8 || size < 8) return parse_safetensors<Scalar>(head, std::min<std::uint64_t>(got, size), label);
  detail::check_header_length(detail::le_bytes(head, 8), size, label);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));  // the real size, not a claimed one
  std::memcpy(bytes.data(), head, 8);
  if (!in.read(reinterpret_cast<char*>(bytes.data() + 8), static_cast<std::streamsize>(size - 8)))
    throw io_error(cat(label, ": reading failed: expected ", size, " bytes, got fewer"));
  return parse_safetensors<Scalar>(bytes.data(), bytes.size(), label);
}

}  // namespace birnn::io
