// CLBlast GEMM calls with their status checked (see gemm.h).
#include "gemm.h"

#include <clblast.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "ember/error.h"
#include "launch.h"
#include "temp_buffer.h"

namespace ember::opencl {
namespace {

using clblast::StatusCode;

const char* status_name(StatusCode s) {
  switch (s) {
    case StatusCode::kSuccess: return "kSuccess";
    case StatusCode::kOpenCLCompilerNotAvailable: return "kOpenCLCompilerNotAvailable";
    case StatusCode::kTempBufferAllocFailure: return "kTempBufferAllocFailure (out of device memory)";
    case StatusCode::kOpenCLOutOfResources: return "kOpenCLOutOfResources (out of device memory)";
    case StatusCode::kOpenCLOutOfHostMemory: return "kOpenCLOutOfHostMemory";
    case StatusCode::kOpenCLBuildProgramFailure: return "kOpenCLBuildProgramFailure";
    case StatusCode::kInvalidValue: return "kInvalidValue";
    case StatusCode::kInvalidCommandQueue: return "kInvalidCommandQueue";
    case StatusCode::kInvalidMemObject: return "kInvalidMemObject";
    case StatusCode::kInvalidKernelArgs: return "kInvalidKernelArgs";
    case StatusCode::kInvalidLocalNumDimensions: return "kInvalidLocalNumDimensions";
    case StatusCode::kInvalidLocalThreadsTotal: return "kInvalidLocalThreadsTotal";
    case StatusCode::kInvalidLocalThreadsDim: return "kInvalidLocalThreadsDim";
    case StatusCode::kInvalidGlobalWorkSize: return "kInvalidGlobalWorkSize";
    case StatusCode::kInvalidBufferSize: return "kInvalidBufferSize";
    case StatusCode::kNotImplemented: return "kNotImplemented";
    case StatusCode::kInvalidMatrixA: return "kInvalidMatrixA";
    case StatusCode::kInvalidMatrixB: return "kInvalidMatrixB";
    case StatusCode::kInvalidMatrixC: return "kInvalidMatrixC";
    case StatusCode::kInvalidDimension: return "kInvalidDimension";
    case StatusCode::kInvalidLeadDimA: return "kInvalidLeadDimA";
    case StatusCode::kInvalidLeadDimB: return "kInvalidLeadDimB";
    case StatusCode::kInvalidLeadDimC: return "kInvalidLeadDimC";
    case StatusCode::kInsufficientMemoryA: return "kInsufficientMemoryA";
    case StatusCode::kInsufficientMemoryB: return "kInsufficientMemoryB";
    case StatusCode::kInsufficientMemoryC: return "kInsufficientMemoryC";
    case StatusCode::kInsufficientMemoryTemp: return "kInsufficientMemoryTemp";
    case StatusCode::kInvalidBatchCount: return "kInvalidBatchCount";
    case StatusCode::kInvalidLocalMemUsage: return "kInvalidLocalMemUsage";
    case StatusCode::kNoHalfPrecision: return "kNoHalfPrecision";
    case StatusCode::kNoDoublePrecision: return "kNoDoublePrecision";
    case StatusCode::kDatabaseError: return "kDatabaseError";
    case StatusCode::kUnknownError: return "kUnknownError";
    case StatusCode::kUnexpectedError: return "kUnexpectedError";
    default: return nullptr;
  }
}

void check_status(StatusCode s, const char* routine, const GemmShape& g, size_t batch) {
  if (s == StatusCode::kSuccess) return;
  const char* name = status_name(s);
  EMBER_FAIL("opencl: CLBlast ", routine, " (m=", g.m, " n=", g.n, " k=", g.k, " batch=", batch, ") failed: ",
             name ? name : ("status " + std::to_string(static_cast<int>(s))));
}

clblast::Transpose tr(const GemmOperand& o) { return o.trans ? clblast::Transpose::kYes : clblast::Transpose::kNo; }

/// On PoCL's CPU device, CLBlast's defaults for an unknown device leave large GEMMs 1.6-2.5x
/// slower than they can be there. EMBER_CLBLAST_POCL_TUNING=1 overrides them (float32) once per
/// device with parameters measured on PoCL (pthread device, AVX-512 host): 64x64 tiles of 8x8
/// work-items with 8-wide vectors. Opt-in because PoCL then takes about 100 s instead of 40 s
/// to compile CLBlast's GEMM on first use (before its kernel cache is warm), which dominates
/// short runs and the test suite; PoCL is a test device, real GPUs are unaffected.
void tune_for_device(ClDevice& dev) {
  static std::mutex mu;
  static std::set<cl_device_id> done;
  const cl_device_id id = dev.device()();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!done.insert(id).second) return;
  }
  const bool pocl_cpu = dev.platform().getInfo<CL_PLATFORM_NAME>() == "Portable Computing Language" &&
                        (dev.device().getInfo<CL_DEVICE_TYPE>() & CL_DEVICE_TYPE_CPU);
  const char* opt_in = std::getenv("EMBER_CLBLAST_POCL_TUNING");
  if (!pocl_cpu || opt_in == nullptr || std::string(opt_in) != "1") return;
  const std::unordered_map<std::string, size_t> xgemm{
      {"GEMMK", 0}, {"KREG", 1}, {"KWG", 32}, {"KWI", 2}, {"MDIMA", 8}, {"MDIMC", 8}, {"MWG", 64}, {"NDIMB", 8},
      {"NDIMC", 8}, {"NWG", 64}, {"SA", 0},   {"SB", 0},   {"STRM", 0}, {"STRN", 0}, {"VWM", 8},  {"VWN", 8}};
  const std::unordered_map<std::string, size_t> direct{{"KWID", 2},   {"MDIMAD", 8}, {"MDIMCD", 8}, {"NDIMBD", 8},
                                                       {"NDIMCD", 8}, {"PADA", 1},   {"PADB", 1},   {"VWMD", 8},
                                                       {"VWND", 8},   {"WGD", 64}};
  // A refused override only leaves CLBlast's defaults in place: still correct, so not an error.
  clblast::OverrideParameters(id, "Xgemm", clblast::Precision::kSingle, xgemm);
  clblast::OverrideParameters(id, "XgemmDirect", clblast::Precision::kSingle, direct);
}

void check_args(ClDevice& dev, DType t, const GemmShape& s, const GemmOperand& c) {
  tune_for_device(dev);
  EMBER_CHECK(t == DType::Float32 || (t == DType::Float64 && dev.has_fp64()), "opencl gemm: dtype ", dtype_name(t),
              " is not supported here");
  EMBER_CHECK(s.m >= 1 && s.n >= 1 && s.k >= 1, "opencl gemm: empty dimensions m=", s.m, " n=", s.n, " k=", s.k);
  EMBER_CHECK(!c.trans, "opencl gemm: C must be row-major");
}

template <class T>
StatusCode run_gemm(cl_command_queue q, GemmShape s, double alpha, const GemmOperand& a, const GemmOperand& b,
                    double beta, const GemmOperand& c) {
  return clblast::Gemm<T>(clblast::Layout::kRowMajor, tr(a), tr(b), s.m, s.n, s.k, static_cast<T>(alpha), a.mem,
                          a.offset, a.ld, b.mem, b.offset, b.ld, static_cast<T>(beta), c.mem, c.offset, c.ld, &q);
}

template <class T>
StatusCode run_strided(cl_command_queue q, GemmShape s, double alpha, const GemmOperand& a, size_t as,
                       const GemmOperand& b, size_t bs, double beta, const GemmOperand& c, size_t cs, size_t batch) {
  return clblast::GemmStridedBatched<T>(clblast::Layout::kRowMajor, tr(a), tr(b), s.m, s.n, s.k,
                                        static_cast<T>(alpha), a.mem, a.offset, a.ld, as, b.mem, b.offset, b.ld, bs,
                                        static_cast<T>(beta), c.mem, c.offset, c.ld, cs, batch, &q);
}

template <class T>
StatusCode run_batched(cl_command_queue q, GemmShape s, double alpha, const GemmOperand& a,
                       const std::vector<size_t>& ao, const GemmOperand& b, const std::vector<size_t>& bo,
                       double beta, const GemmOperand& c, const std::vector<size_t>& co) {
  const std::vector<T> alphas(co.size(), static_cast<T>(alpha)), betas(co.size(), static_cast<T>(beta));
  return clblast::GemmBatched<T>(clblast::Layout::kRowMajor, tr(a), tr(b), s.m, s.n, s.k, alphas.data(), a.mem,
                                 ao.data(), a.ld, b.mem, bo.data(), b.ld, betas.data(), c.mem, co.data(), c.ld,
                                 co.size(), &q);
}

}  // namespace

void gemm(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a, const GemmOperand& b, double beta,
          const GemmOperand& c) {
  check_args(dev, t, s, c);
  cl_command_queue q = dev.queue()();
  const StatusCode st = t == DType::Float64 ? run_gemm<double>(q, s, alpha, a, b, beta, c)
                                            : run_gemm<float>(q, s, alpha, a, b, beta, c);
  check_status(st, "Gemm", s, 1);
}

void gemm_split_k(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a, const GemmOperand& b,
                  double beta, const GemmOperand& c) {
  // Splits of >= 2048 along K, enough to give ~32 output tiles (64x64) of work in all.
  const size_t tiles = ((s.m + 63) / 64) * ((s.n + 63) / 64);
  const size_t splits = tiles >= 16 ? 1 : std::min(s.k / 2048, (32 + tiles - 1) / tiles);
  if (splits <= 1) return gemm(dev, t, s, alpha, a, b, beta, c);
  check_args(dev, t, s, c);
  const size_t kc = s.k / splits, tail = s.k - kc * (splits - 1), mn = s.m * s.n;
  // Where the K-part starting at k0 begins in an operand: a (m x k) advances along its
  // columns, b (k x n) along its rows (each by 1 or ld, as the operand is stored).
  const size_t a_step = a.trans ? a.ld : 1, b_step = b.trans ? 1 : b.ld;
  TempTensor part(dev, t, {static_cast<int64_t>(splits), static_cast<int64_t>(s.m), static_cast<int64_t>(s.n)});
  const GemmOperand p{part.mem(), 0, s.n, false};
  gemm_strided_batched(dev, t, {s.m, s.n, kc}, alpha, a, kc * a_step, b, kc * b_step, 0.0, p, mn, splits - 1);
  GemmOperand at = a, bt = b, pt = p;
  at.offset += (splits - 1) * kc * a_step, bt.offset += (splits - 1) * kc * b_step, pt.offset = (splits - 1) * mn;
  gemm(dev, t, {s.m, s.n, tail}, alpha, at, bt, 0.0, pt);
  Launch l(dev, dev.kernel("matmul", {{"T", t}}, "sum_splits"));
  l.value(part.mem()).value<cl_long>(static_cast<cl_long>(splits)).value<cl_long>(static_cast<cl_long>(s.m))
      .value<cl_long>(static_cast<cl_long>(s.n)).value(c.mem).value<cl_long>(static_cast<cl_long>(c.offset))
      .value<cl_long>(static_cast<cl_long>(c.ld));
  if (t == DType::Float64) l.value<cl_double>(beta);
  else l.value<cl_float>(static_cast<float>(beta));
  l.run(mn);
}

void gemm_strided_batched(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a, size_t a_stride,
                          const GemmOperand& b, size_t b_stride, double beta, const GemmOperand& c, size_t c_stride,
                          size_t batch) {
  check_args(dev, t, s, c);
  if (batch == 1) return gemm(dev, t, s, alpha, a, b, beta, c);
  cl_command_queue q = dev.queue()();
  const StatusCode st =
      t == DType::Float64 ? run_strided<double>(q, s, alpha, a, a_stride, b, b_stride, beta, c, c_stride, batch)
                          : run_strided<float>(q, s, alpha, a, a_stride, b, b_stride, beta, c, c_stride, batch);
  check_status(st, "GemmStridedBatched", s, batch);
}

void gemm_batched(ClDevice& dev, DType t, GemmShape s, double alpha, const GemmOperand& a,
                  const std::vector<size_t>& a_offsets, const GemmOperand& b, const std::vector<size_t>& b_offsets,
                  double beta, const GemmOperand& c, const std::vector<size_t>& c_offsets) {
  check_args(dev, t, s, c);
  EMBER_CHECK(!c_offsets.empty() && a_offsets.size() == c_offsets.size() && b_offsets.size() == c_offsets.size(),
              "opencl gemm: batched offset lists differ in length");
  cl_command_queue q = dev.queue()();
  const StatusCode st = t == DType::Float64 ? run_batched<double>(q, s, alpha, a, a_offsets, b, b_offsets, beta, c, c_offsets)
                                            : run_batched<float>(q, s, alpha, a, a_offsets, b, b_offsets, beta, c, c_offsets);
  check_status(st, "GemmBatched", s, c_offsets.size());
}

}  // namespace ember::opencl
