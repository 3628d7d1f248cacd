// write_file_atomic: temp file beside the target, fsync, rename, fsync the directory.
// The temp name carries the pid and random bits from std::random_device (never the default
// generator: saving a checkpoint must not perturb a training run's random stream).
#include "ember/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "ember/error.h"

namespace ember::io {

namespace {

std::string errno_str(int e) { return std::strerror(e); }

std::string temp_name_for(const std::string& path) {
  std::random_device rd;
  uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
  return path + ".tmp." + std::to_string(::getpid()) + "." + buf;
}

std::string dir_of(const std::string& path) {
  std::string d = std::filesystem::path(path).parent_path().string();
  return d.empty() ? "." : d;
}

/// Flushes a directory entry change (the rename) to disk. Filesystems that cannot fsync a
/// directory (EINVAL) are tolerated: the rename itself was still atomic.
void fsync_dir(const std::string& path) {
  std::string dir = dir_of(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, "write_file_atomic: ", path, ": cannot open directory ", dir, " to sync it: ",
              errno_str(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  EMBER_CHECK(rc == 0 || e == EINVAL, "write_file_atomic: ", path, ": fsync of directory ", dir,
              " failed after the rename: ", errno_str(e));
}

}  // namespace

void write_all(std::FILE* f, const void* data, size_t n, const std::string& path) {
  if (n == 0) return;
  size_t w = std::fwrite(data, 1, n, f);
  EMBER_CHECK(w == n, "write ", path, ": short write (", w, " of ", n, " bytes): ", errno_str(errno));
}

void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& writer) {
  EMBER_CHECK(!path.empty(), "write_file_atomic: empty path");
  std::string tmp = temp_name_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  EMBER_CHECK(fd >= 0, "write_file_atomic: ", path, ": cannot create temporary file ", tmp, ": ",
              errno_str(errno));
  std::FILE* f = ::fdopen(fd, "wb");
  if (!f) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    EMBER_FAIL("write_file_atomic: ", path, ": fdopen failed: ", errno_str(e));
  }
  auto discard = [&] {
    if (f) std::fclose(f);
    f = nullptr;
    ::unlink(tmp.c_str());
  };
  try {
    writer(f);
    EMBER_CHECK(!std::ferror(f), "write_file_atomic: ", path, ": write error: ", errno_str(errno));
    EMBER_CHECK(std::fflush(f) == 0, "write_file_atomic: ", path, ": flush failed: ", errno_str(errno));
    EMBER_CHECK(::fsync(::fileno(f)) == 0, "write_file_atomic: ", path, ": fsync failed: ", errno_str(errno));
    int rc = std::fclose(f);
    f = nullptr;
    EMBER_CHECK(rc == 0, "write_file_atomic: ", path, ": close failed: ", errno_str(errno));
    EMBER_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "write_file_atomic: cannot rename ", tmp,
                " to ", path, ": ", errno_str(errno));
  } catch (...) {
    discard();
    throw;
  }
  fsync_dir(path);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_file_atomic(path, [&](std::FILE* f) { write_all(f, bytes.data(), bytes.size(), path); });
}

}  // namespace ember::io
