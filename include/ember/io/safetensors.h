// safetensors files (the Hugging Face format): an 8-byte little-endian header length N, N bytes
// of JSON describing each tensor (dtype, shape, byte range), then the raw little-endian,
// row-major tensor bytes. Readable by the Python `safetensors` library, PyTorch, NumPy, etc.
// The exact subset and the checks on load are described in docs/file-formats.md.
#pragma once
#include <map>
#include <string>

#include "ember/tensor.h"

namespace ember::io {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry (strings only)
};

/// Writes `tensors` (any device, dtype, layout: each is saved as a contiguous CPU copy) and
/// string `metadata` to `path`, atomically (see write_file_atomic). Requires names that are
/// valid UTF-8 and not "__metadata__", and defined tensors.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads a safetensors file into CPU tensors. Every structural property is checked (header
/// size, JSON shape, dtypes F64 F32 F16 BF16 I64 I32 U8 BOOL, non-negative integer shapes,
/// byte ranges that match the shapes and cover the data buffer exactly, string metadata);
/// a malformed or truncated file throws ember::Error naming the file and the offending entry.
SafetensorsFile load_safetensors(const std::string& path);

/// The safetensors dtype code for t ("F32", "BF16", "BOOL", ...), and back (ember::Error for
/// codes ember does not support).
const char* safetensors_dtype_code(DType t);
DType dtype_from_safetensors_code(const std::string& code);

}  // namespace ember::io
