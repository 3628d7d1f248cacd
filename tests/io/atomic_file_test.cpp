// write_file_atomic: content lands complete, replaces an existing file, and a writer that
// throws (or a target directory that does not exist) leaves the old file and no temp files.
#include <stdexcept>

#include "ember/io.h"
#include "harness/op_harness.h"
#include "harness/scoped_cwd.h"
#include "io/temp_dir.h"

using namespace ember;
using namespace ember::test;

TEST(AtomicFile, WritesAndReplaces) {
  TempDir dir;
  std::string p = dir.file("out.bin");
  io::write_file_atomic(p, std::string_view("first"));
  EXPECT_EQ(read_bytes(p), "first");
  io::write_file_atomic(p, [&](std::FILE* f) {
    io::write_all(f, "sec", 3, p);
    io::write_all(f, "ond", 3, p);
  });
  EXPECT_EQ(read_bytes(p), "second");
  io::write_file_atomic(p, std::string_view(""));
  EXPECT_EQ(read_bytes(p), "");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, ThrowingWriterLeavesOldFileAndNoTemp) {
  TempDir dir;
  std::string p = dir.file("model.safetensors");
  io::write_file_atomic(p, std::string_view("old content"));
  std::string big(1 << 16, 'x');
  EXPECT_THROW(io::write_file_atomic(p,
                                     [&](std::FILE* f) {
                                       io::write_all(f, big.data(), big.size(), p);
                                       throw std::runtime_error("disk on fire");
                                     }),
               std::runtime_error);
  EXPECT_EQ(read_bytes(p), "old content");
  EXPECT_EMBER_ERROR(io::write_file_atomic(p, [&](std::FILE*) { EMBER_FAIL("writer failed"); }), "writer failed");
  EXPECT_EQ(read_bytes(p), "old content");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
  // A throwing writer with no previous file leaves nothing at all.
  std::string q = dir.file("new.bin");
  EXPECT_THROW(io::write_file_atomic(q, [](std::FILE*) { throw std::logic_error("no"); }), std::logic_error);
  EXPECT_FALSE(std::filesystem::exists(q));
  EXPECT_EQ(dir.entries().size(), 1u);
}

TEST(AtomicFile, ErrorsNameThePath) {
  TempDir dir;
  std::string p = dir.file("missing_dir/out.bin");
  EXPECT_EMBER_ERROR(io::write_file_atomic(p, std::string_view("x")), "missing_dir/out.bin", "No such file");
  EXPECT_EMBER_ERROR(io::write_file_atomic("", std::string_view("x")), "empty path");
  // Renaming over a directory fails; the temp file is cleaned up.
  std::filesystem::create_directory(dir.file("adir"));
  EXPECT_EMBER_ERROR(io::write_file_atomic(dir.file("adir"), std::string_view("x")), "adir");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"adir"});
}

TEST(AtomicFile, RelativePathInCurrentDirectory) {
  TempDir dir;
  {
    ScopedCwd cwd(dir.path());
    io::write_file_atomic("rel.txt", std::string_view("hello"));
  }
  EXPECT_EQ(read_bytes(dir.file("rel.txt")), "hello");
}
