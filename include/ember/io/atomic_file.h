// Atomic file replacement: write to a temporary file beside the target, flush it to disk, then
// rename it over the target. Readers see either the old file or the complete new one, never a
// partial write, even if the process dies half-way.
#pragma once
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace ember::io {

/// Writes `path` atomically. `writer` receives a FILE* opened for binary writing on a fresh
/// temporary file in the same directory (named path + ".tmp.<pid>.<random>"); after it returns
/// the file is flushed and fsync'ed, renamed over `path`, and the directory is fsync'ed.
/// On any failure (I/O error, or an exception thrown by `writer`) the temporary file is removed
/// and `path` is left untouched; I/O errors throw ember::Error naming the path and strerror,
/// exceptions from `writer` propagate unchanged. Requires the directory of `path` to exist.
void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& writer);

/// Same, with the whole content given as bytes.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// Writes n bytes to f, throwing ember::Error naming `path` and strerror on a short write.
/// A helper for writers passed to write_file_atomic.
void write_all(std::FILE* f, const void* data, size_t n, const std::string& path);

}  // namespace ember::io
