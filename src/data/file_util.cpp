// Internal file helpers: whole-file reads, gzip via zlib, atomic writes (temp + fsync + rename),
// temporary directories and running a program with posix_spawn (no shell).
#include "data/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ember/error.h"

extern char** environ;

namespace ember::data::detail {

namespace fs = std::filesystem;

std::vector<uint8_t> read_file(const std::string& path) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(path, ec), path, ": file not found");
  EMBER_CHECK(!fs::is_directory(path, ec), path, ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good(), path, ": cannot open for reading: ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  std::streamoff n = in.tellg();
  EMBER_CHECK(n >= 0, path, ": cannot determine the file size");
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  if (n > 0) in.read(reinterpret_cast<char*>(bytes.data()), n);
  EMBER_CHECK(in.good() || (n == 0), path, ": read error after ", in.gcount(), " of ", n, " bytes");
  return bytes;
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

bool is_gzip(const std::vector<uint8_t>& b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

struct GzipReader::Stream {
  z_stream zs{};
};

GzipReader::GzipReader(const std::vector<uint8_t>& bytes, std::string path)
    : z_(std::make_unique<Stream>()), in_(bytes), path_(std::move(path)) {
  EMBER_CHECK(inflateInit2(&z_->zs, 16 + MAX_WBITS) == Z_OK, path_, ": zlib inflateInit failed");
}

GzipReader::~GzipReader() { inflateEnd(&z_->zs); }

size_t GzipReader::read(uint8_t* out, size_t n) {
  z_stream& zs = z_->zs;
  size_t done = 0;
  while (done < n && !finished_) {
    // Position in the input: what zlib has consumed so far (it may hold up to 1 GiB at a time).
    const size_t in_pos = zs.next_in ? static_cast<size_t>(zs.next_in - in_.data()) : 0;
    if (zs.avail_in == 0) {
      zs.next_in = const_cast<Bytef*>(in_.data() + in_pos);
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in_.size() - in_pos, 1u << 30));
    }
    const size_t out_chunk = std::min<size_t>(n - done, 1u << 30);
    zs.next_out = out + done;
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    done += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else is ignored.
      const size_t pos = static_cast<size_t>(zs.next_in - in_.data()), rest = in_.size() - pos;
      if (rest >= 2 && in_[pos] == 0x1f && in_[pos + 1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      finished_ = true;
      break;
    }
    const bool input_left = zs.avail_in != 0 || static_cast<size_t>(zs.next_in - in_.data()) < in_.size();
    if (rc == Z_BUF_ERROR && !input_left)
      EMBER_FAIL(path_, ": truncated gzip data (ended after ", in_.size(), " compressed bytes)");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      EMBER_FAIL(path_, ": corrupt gzip data (", zs.msg ? zs.msg : "error " + std::to_string(rc), ")");
  }
  produced_ += done;
  return done;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& path) {
  constexpr size_t kMaxOut = size_t(4) << 30;  // refuse decompression bombs beyond 4 GiB
  GzipReader reader(in, path);
  std::vector<uint8_t> out(std::min(kMaxOut, std::max<size_t>(in.size() * 4, 1 << 16)));
  size_t pos = 0;
  while (true) {
    if (pos == out.size()) {
      EMBER_CHECK(out.size() < kMaxOut, path, ": gzip data inflates beyond 4 GiB");
      out.resize(std::min(out.size() * 2, kMaxOut));
    }
    const size_t want = out.size() - pos, got = reader.read(out.data() + pos, want);
    pos += got;
    if (got < want) break;
  }
  out.resize(pos);
  return out;
}

std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  std::vector<uint8_t> b = read_file(path);
  return is_gzip(b) ? gunzip(b, path) : b;
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& in) {
  z_stream zs{};
  EMBER_CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
              "gzip: zlib deflateInit failed");
  std::vector<uint8_t> out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = out.size() - zs.avail_out;
  deflateEnd(&zs);
  EMBER_CHECK(rc == Z_STREAM_END, "gzip: deflate failed with code ", rc);
  out.resize(n);
  return out;
}

void make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec && fs::is_directory(dir, ec), dir, ": cannot create directory: ", ec.message());
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  fs::path p(path);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  std::string leaf(".");  // built with += (GCC 12 warns falsely on "." + string)
  leaf += p.filename().string();
  leaf += ".tmp.XXXXXX";
  std::string tmpl = join_path(dir, leaf);
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  EMBER_CHECK(fd >= 0, path, ": cannot create a temporary file in ", dir, ": ", std::strerror(errno));
  std::string tmp(name.data());
  auto fail = [&](const char* what) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    EMBER_FAIL(path, ": ", what, " failed: ", std::strerror(e));
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write");
    done += static_cast<size_t>(w);
  }
  if (::fchmod(fd, 0644) != 0) fail("chmod");
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) { int e = errno; ::unlink(tmp.c_str()); EMBER_FAIL(path, ": close failed: ", std::strerror(e)); }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    EMBER_FAIL(path, ": rename from ", tmp, " failed: ", std::strerror(e));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);  // make the rename itself durable
  if (dfd >= 0) { ::fsync(dfd); ::close(dfd); }
}

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
  std::string tmpl = join_path(parent, prefix + "XXXXXX");
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  EMBER_CHECK(mkdtemp(name.data()) != nullptr, parent, ": cannot create a temporary directory: ",
              std::strerror(errno));
  // Absolute, so the path stays right for child processes started in another directory
  // (npm pack runs inside it and is told to write there).
  path_ = fs::absolute(name.data()).string();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd, double timeout_s) {
  CommandResult r;
  EMBER_CHECK(!argv.empty(), "run_command: empty argument list");
  std::string log = join_path(cwd, ".command-output");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.output = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  r.started = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  // posix_spawnp reports a missing program through exit code 127 of the child.
  std::ifstream in(log, std::ios::binary);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (out.size() > 4096) out = out.substr(out.size() - 4096);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  r.output = out;
  if (r.exit_code == 127 && out.empty()) { r.started = false; r.output = "cannot run " + argv[0] + ": not found"; }
  std::error_code ec;
  fs::remove(log, ec);
  return r;
}

}  // namespace ember::data::detail
