// Internal file helpers for the data readers and the fetcher: whole-file reads, gzip in
// memory (zlib; whole or incrementally, so a reader can stop where its header says the data
// ends), atomic writes, temporary directories, and running a command without a shell.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ember::data::detail {

/// The bytes of a file; throws ember::Error naming the file when it is missing or unreadable.
std::vector<uint8_t> read_file(const std::string& path);
bool file_exists(const std::string& path);
bool ends_with(const std::string& s, const std::string& suffix);
std::string join_path(const std::string& dir, const std::string& name);

/// True when bytes start with the gzip magic 1f 8b.
bool is_gzip(const std::vector<uint8_t>& bytes);
/// Inflates gzip data incrementally (concatenated members allowed; anything after the last
/// member that does not start with the gzip magic is ignored, as gzip(1) does with trailing
/// zeros). Lets a reader inflate only as much as a header declares.
class GzipReader {
 public:
  /// Requires `bytes` (gzip data) to outlive the reader; `path` names the file in errors.
  GzipReader(const std::vector<uint8_t>& bytes, std::string path);
  ~GzipReader();
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;
  /// Inflates up to n bytes into out (which must hold n) and returns how many it wrote: fewer
  /// than n only when the data ends. Corrupt or truncated data throws ember::Error naming the
  /// file and zlib's message.
  size_t read(uint8_t* out, size_t n);
  /// Bytes inflated so far.
  uint64_t produced() const { return produced_; }

 private:
  struct Stream;
  std::unique_ptr<Stream> z_;
  const std::vector<uint8_t>& in_;
  std::string path_;
  uint64_t produced_ = 0;
  bool finished_ = false;
};

/// The largest factor by which deflate can shrink data (zlib's technical details: 1032:1), so
/// `compressed` gzip bytes inflate to at most compressed * kMaxDeflateRatio bytes.
inline constexpr uint64_t kMaxDeflateRatio = 1032;

/// Inflates gzip data whole (concatenated members allowed), refusing more than 4 GiB; errors
/// name `path` and zlib's message.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& bytes, const std::string& path);
/// The file's bytes, inflated when they start with the gzip magic.
std::vector<uint8_t> read_maybe_gzip(const std::string& path);
/// Compresses to a gzip stream.
std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes);

/// Writes path atomically: a temp file in the same directory, fsync, rename over path.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);
/// mkdir -p; throws ember::Error naming the directory on failure.
void make_dirs(const std::string& dir);

/// A fresh directory (mkdtemp of parent/prefixXXXXXX) removed recursively on destruction. Its
/// path() is absolute even when parent is relative to the working directory.
class TempDir {
 public:
  TempDir(const std::string& parent, const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  bool started = false;    // false: the program could not be run (see output)
  bool timed_out = false;  // killed after timeout_s
  int exit_code = -1;      // exit status, or -1 when killed by a signal
  std::string output;      // stdout and stderr together (last 4 KiB)
};
/// Runs argv[0] (looked up on PATH) with arguments argv[1..] in cwd, no shell involved,
/// stdin from /dev/null and output captured through a file in cwd. Kills it after timeout_s.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd, double timeout_s);

}  // namespace ember::data::detail
