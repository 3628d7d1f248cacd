// Backend registry: one Backend object per device, registered explicitly (no static initialisers).
#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "core/backend.h"

namespace ember {

namespace {
struct SlotNames {
  std::mutex mu;
  std::unordered_map<std::string, size_t> slots;
  std::vector<std::string> names;
};
SlotNames& slot_names() {
  static SlotNames s;
  return s;
}
}  // namespace

size_t kernel_slot(const std::string& name) {
  SlotNames& s = slot_names();
  std::lock_guard<std::mutex> lock(s.mu);
  auto [it, inserted] = s.slots.try_emplace(name, s.names.size());
  if (inserted) s.names.push_back(name);
  return it->second;
}

std::string kernel_slot_name(size_t slot) {
  SlotNames& s = slot_names();
  std::lock_guard<std::mutex> lock(s.mu);
  return slot < s.names.size() ? s.names[slot] : std::string("?");
}

std::vector<std::string> KernelTable::names() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].fn) out.push_back(kernel_slot_name(i));
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
struct Registry {
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<BackendStatus> statuses;
  bool populated = false;            // registration started (guarded by mu)
  std::atomic<bool> ready{false};    // registration finished: read without the lock on every get_backend()
  std::recursive_mutex mu;
};
Registry& registry() {
  static Registry r;
  return r;
}
/// The cpu:0 backend once registered: get_backend() returns it without taking any lock.
std::atomic<Backend*> g_cpu{nullptr};

void ensure_populated() {
  Registry& r = registry();
  if (r.ready.load(std::memory_order_acquire)) return;
  std::lock_guard<std::recursive_mutex> lock(r.mu);  // recursive: register_backend() re-enters
  if (r.populated) return;
  r.populated = true;
  register_all_backends();
  r.ready.store(true, std::memory_order_release);
}
}  // namespace

void register_backend(std::unique_ptr<Backend> b) {
  ensure_populated();  // the built-in backends come first, whoever registers first
  Registry& r = registry();
  std::lock_guard<std::recursive_mutex> lock(r.mu);
  if (g_cpu.load() == nullptr && b->device() == Device(DeviceKind::CPU, 0)) g_cpu.store(b.get());
  r.backends.push_back(std::move(b));
}

Backend& get_backend(const Device& d) {
  if (d.is_cpu() && d.index == 0 && g_cpu != nullptr) return *g_cpu;  // the common case, no lookup
  ensure_populated();
  // Fast path: the CPU backend is registered first.
  auto& bs = registry().backends;
  if (!bs.empty() && bs[0]->device() == d) return *bs[0];
  for (auto& b : bs)
    if (b->device() == d) return *b;
  std::string avail, why;
  for (auto& b : bs) avail += (avail.empty() ? "" : ", ") + b->device().str();
  {
    std::lock_guard<std::recursive_mutex> lock(registry().mu);
    for (const BackendStatus& s : registry().statuses)  // say why the device's backend has none
      if (s.name == device_kind_name(d.kind) && !s.available)
        why = std::string("; ") + s.name + (s.built ? ": " : " backend not built: ") + s.detail;
  }
  EMBER_FAIL("device '", d.str(), "' is not available (available: ", avail, ")", why);
}

std::vector<DeviceInfo> list_devices() {
  std::vector<DeviceInfo> out;
  for (Backend* b : all_backends()) out.push_back(b->info());
  return out;
}

void synchronize(const Device& d) { get_backend(d).stream().synchronize(); }

void report_backend_status(BackendStatus status) {
  Registry& r = registry();
  std::lock_guard<std::recursive_mutex> lock(r.mu);
  for (BackendStatus& s : r.statuses)
    if (s.name == status.name) {
      s = std::move(status);
      return;
    }
  r.statuses.push_back(std::move(status));
}

std::vector<BackendStatus> backend_statuses() {
  ensure_populated();
  Registry& r = registry();
  std::lock_guard<std::recursive_mutex> lock(r.mu);
  return r.statuses;
}

std::vector<Backend*> all_backends() {
  ensure_populated();
  std::vector<Backend*> out;
  for (auto& b : registry().backends) out.push_back(b.get());
  return out;
}

}  // namespace ember
