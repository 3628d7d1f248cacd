// safetensors save/load. Saving builds the JSON header with nlohmann::json, pads it with spaces
// to a multiple of 8 and writes the tensors back to back through write_file_atomic. Loading
// treats the file as untrusted: every size, offset and JSON field is checked before any tensor
// is allocated or read, and all failures become ember::Error naming the file and the entry.
#include "ember/io/safetensors.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "ember/autograd.h"
#include "ember/io/atomic_file.h"

namespace ember::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host (the format is little-endian)");

namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // larger headers are refused as absurd
constexpr size_t kMaxRank = 64;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// One header entry after validation.
struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& v, uint64_t buffer_size) {
  auto fail = [&](const auto&... why) { EMBER_FAIL("load_safetensors: ", path, ": tensor '", name, "': ", why...); };
  if (!v.is_object()) fail("entry is not a JSON object");
  Entry e;
  e.name = name;
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) fail("missing or non-string \"dtype\"");
  try {
    e.dtype = dtype_from_safetensors_code(dt->get<std::string>());
  } catch (const Error& err) {
    fail(err.what());
  }
  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) fail("missing or non-array \"shape\"");
  if (sh->size() > kMaxRank) fail("rank ", sh->size(), " exceeds ", kMaxRank);
  // numel (including zeros) and the product of the non-zero sizes must both stay far from
  // overflow, so that strides and byte counts computed from the shape are exact.
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  uint64_t numel = 1, nonzero_product = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_unsigned()) fail("shape entry ", d.dump(), " is not a non-negative integer");
    uint64_t s = d.get<uint64_t>();
    if (s >= kLimit) fail("shape entry ", s, " is too large");
    numel *= s;
    if (s != 0 && __builtin_mul_overflow(nonzero_product, s, &nonzero_product)) fail("shape product overflows");
    if (nonzero_product >= kLimit) fail("shape product overflows");
    e.shape.push_back(static_cast<int64_t>(s));
  }
  if (numel >= kLimit / 8) fail("shape product overflows");
  const uint64_t nbytes = numel * dtype_size(e.dtype);  // < 2^62: cannot wrap
  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    fail("\"data_offsets\" must be [begin, end] with non-negative integers");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.begin > e.end || e.end > buffer_size)
    fail("data_offsets [", e.begin, ",", e.end, "] out of range for a data buffer of ", buffer_size, " bytes");
  if (e.end - e.begin != nbytes)
    fail("data_offsets span ", e.end - e.begin, " bytes but shape ", shape_str(e.shape), " ",
         safetensors_dtype_code(e.dtype), " needs ", nbytes);
  return e;
}

/// Position of a dtype in the reference implementation's Dtype enum (BOOL, U8, I8, F8_E5M2,
/// F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64); its writer sorts by it.
int safetensors_rank(DType t) {
  switch (t) {
    case DType::Bool: return 0;
    case DType::UInt8: return 1;
    case DType::Float16: return 7;
    case DType::BFloat16: return 8;
    case DType::Int32: return 9;
    case DType::Float32: return 11;
    case DType::Float64: return 12;
    case DType::Int64: return 13;
  }
  return 0;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const Json& m) {
  std::map<std::string, std::string> out;
  if (m.is_null()) return out;
  EMBER_CHECK(m.is_object(), "load_safetensors: ", path, ": \"__metadata__\" is not an object");
  for (const auto& [k, v] : m.items()) {
    EMBER_CHECK(v.is_string(), "load_safetensors: ", path, ": metadata value for '", k, "' is not a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

}  // namespace

const char* safetensors_dtype_code(DType t) {
  switch (t) {
    case DType::Float64: return "F64";
    case DType::Float32: return "F32";
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
    case DType::Int64: return "I64";
    case DType::Int32: return "I32";
    case DType::UInt8: return "U8";
    case DType::Bool: return "BOOL";
  }
  EMBER_FAIL("safetensors: unknown dtype");
}

DType dtype_from_safetensors_code(const std::string& code) {
  for (DType t : {DType::Float64, DType::Float32, DType::Float16, DType::BFloat16, DType::Int64, DType::Int32,
                  DType::UInt8, DType::Bool})
    if (code == safetensors_dtype_code(t)) return t;
  EMBER_FAIL("unsupported safetensors dtype '", code, "' (ember reads F64 F32 F16 BF16 I64 I32 U8 BOOL)");
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  NoGradGuard no_grad;
  std::vector<Tensor> data;
  Json header = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  // Buffer order as the Python library writes it: dtype rank descending, then name. Every
  // tensor then starts at a multiple of its element size (the header is padded to 8), so
  // zero-copy readers can map it directly.
  std::vector<std::pair<std::string, Tensor>> order(tensors.begin(), tensors.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (!a.second.defined() || !b.second.defined()) return false;
    return safetensors_rank(a.second.dtype()) > safetensors_rank(b.second.dtype());
  });
  uint64_t offset = 0;
  for (const auto& [name, t] : order) {
    EMBER_CHECK(name != "__metadata__", "save_safetensors: ", path, ": '__metadata__' is reserved, not a tensor name");
    EMBER_CHECK(t.defined(), "save_safetensors: ", path, ": tensor '", name, "' is undefined");
    Tensor c = t.detach();
    if (!c.device().is_cpu()) c = c.to(Device());
    c = c.contiguous();
    uint64_t nbytes = static_cast<uint64_t>(c.numel()) * dtype_size(c.dtype());
    Json shape = Json::array();
    for (int64_t s : c.shape()) shape.push_back(s);
    header[name] = Json{{"dtype", safetensors_dtype_code(c.dtype())},
                        {"shape", std::move(shape)},
                        {"data_offsets", Json::array({offset, offset + nbytes})}};
    offset += nbytes;
    data.push_back(c);
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    EMBER_FAIL("save_safetensors: ", path, ": a tensor name or metadata string is not valid UTF-8 (", e.what(), ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  write_file_atomic(path, [&](std::FILE* f) {
    write_all(f, len, 8, path);
    write_all(f, text.data(), text.size(), path);
    for (const Tensor& c : data)
      if (c.numel() > 0) write_all(f, c.raw_data(), static_cast<size_t>(c.numel()) * dtype_size(c.dtype()), path);
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  EMBER_CHECK(f, "load_safetensors: cannot open ", path, ": ", std::strerror(errno));
  struct stat st {};
  EMBER_CHECK(::fstat(::fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode), "load_safetensors: ", path,
              " is not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  EMBER_CHECK(file_size >= 8, "load_safetensors: ", path, ": file is ", file_size,
              " bytes, shorter than the 8-byte header length (not a safetensors file?)");
  unsigned char len_bytes[8];
  EMBER_CHECK(std::fread(len_bytes, 1, 8, f.get()) == 8, "load_safetensors: ", path, ": read error");
  const uint64_t n = read_u64_le(len_bytes);
  EMBER_CHECK(n <= kMaxHeaderBytes, "load_safetensors: ", path, ": header length ", n,
              " is absurd (limit ", kMaxHeaderBytes, " bytes; not a safetensors file?)");
  EMBER_CHECK(n <= file_size - 8, "load_safetensors: ", path, ": header length ", n, " exceeds the file size ",
              file_size);
  std::string text(n, '\0');
  EMBER_CHECK(std::fread(text.data(), 1, n, f.get()) == n, "load_safetensors: ", path, ": truncated header");
  const uint64_t buffer_size = file_size - 8 - n;

  Json header;
  try {
    header = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    EMBER_FAIL("load_safetensors: ", path, ": header is not valid JSON: ", e.what());
  }
  EMBER_CHECK(header.is_object(), "load_safetensors: ", path, ": header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  try {
    for (const auto& [name, v] : header.items()) {
      if (name == "__metadata__") out.metadata = parse_metadata(path, v);
      else entries.push_back(parse_entry(path, name, v, buffer_size));
    }
  } catch (const nlohmann::json::exception& e) {  // defensive: every access above is type-checked
    EMBER_FAIL("load_safetensors: ", path, ": malformed header: ", e.what());
  }

  // The byte ranges must tile [0, buffer_size) exactly: no holes, no overlaps.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t expected = 0;
  for (const Entry& e : entries) {
    EMBER_CHECK(e.begin == expected, "load_safetensors: ", path, ": tensor '", e.name, "' data_offsets [", e.begin,
                ",", e.end, "] ", e.begin < expected ? "overlap another tensor" : "leave a hole", " (expected begin ",
                expected, ")");
    expected = e.end;
  }
  EMBER_CHECK(expected == buffer_size, "load_safetensors: ", path, ": tensors cover ", expected,
              " bytes but the data buffer holds ", buffer_size);

  for (const Entry& e : entries) {  // sorted by offset: read the buffer front to back
    Tensor t = empty(e.shape, TensorOptions(e.dtype));
    const size_t nbytes = static_cast<size_t>(e.end - e.begin);
    if (nbytes > 0) {
      EMBER_CHECK(std::fread(t.raw_data(), 1, nbytes, f.get()) == nbytes, "load_safetensors: ", path,
                  ": truncated data for tensor '", e.name, "'");
      if (e.dtype == DType::Bool) {  // any non-zero byte is true; keep bools canonical (0/1)
        auto* p = static_cast<unsigned char*>(t.raw_data());
        for (size_t i = 0; i < nbytes; ++i) p[i] = p[i] != 0;
      }
    }
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

}  // namespace ember::io
