// Backend registry: one Backend object per device, registered explicitly (no static initialisers).
#include <algorithm>
#include <mutex>

#include "core/backend.h"

namespace ember {

std::vector<std::string> KernelTable::names() const {
  std::vector<std::string> out;
  for (auto& [k, v] : map_) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
struct Registry {
  std::vector<std::unique_ptr<Backend>> backends;
  bool populated = false;
  std::recursive_mutex mu;
};
Registry& registry() {
  static Registry r;
  return r;
}
void ensure_populated() {
  Registry& r = registry();
  std::lock_guard<std::recursive_mutex> lock(r.mu);
  if (r.populated) return;
  r.populated = true;
  register_all_backends();
}
}  // namespace

void register_backend(std::unique_ptr<Backend> b) {
  ensure_populated();  // the built-in backends come first, whoever registers first
  Registry& r = registry();
  std::lock_guard<std::recursive_mutex> lock(r.mu);
  r.backends.push_back(std::move(b));
}

Backend& get_backend(const Device& d) {
  ensure_populated();
  // Fast path: the CPU backend is registered first.
  auto& bs = registry().backends;
  if (!bs.empty() && bs[0]->device() == d) return *bs[0];
  for (auto& b : bs)
    if (b->device() == d) return *b;
  std::string avail;
  for (auto& b : bs) avail += (avail.empty() ? "" : ", ") + b->device().str();
  EMBER_FAIL("device '", d.str(), "' is not available (available: ", avail, ")");
}

std::vector<DeviceInfo> list_devices() {
  std::vector<DeviceInfo> out;
  for (Backend* b : all_backends()) out.push_back(b->info());
  return out;
}

void synchronize(const Device& d) { get_backend(d).stream().synchronize(); }

std::vector<Backend*> all_backends() {
  ensure_populated();
  std::vector<Backend*> out;
  for (auto& b : registry().backends) out.push_back(b.get());
  return out;
}

}  // namespace ember
