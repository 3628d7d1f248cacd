// Run-time loading of GPU backend plugins (see plugin_loader.h): dladdr finds libember's own
// file, dlopen loads libember-<name>.so beside it, and every failure becomes a backend status.
#include "backends/plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <exception>

#include "core/backend.h"

namespace ember {

namespace {
const char g_anchor = 0;  // any object inside libember: dladdr names the file that holds it

void report(const std::string& name, bool built, const std::string& detail) {
  report_backend_status({name, built, false, 0, detail});
}
}  // namespace

std::string plugin_directory(std::string* why) {
  Dl_info info{};
  if (dladdr(&g_anchor, &info) == 0 || info.dli_fname == nullptr || info.dli_fname[0] == '\0') {
    if (why) *why = "dladdr() cannot name the file libember was loaded from";
    return "";
  }
  const std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  char* real = ::realpath(dir.c_str(), nullptr);  // "prefix/bin/../lib" -> "prefix/lib" in messages
  if (real == nullptr) return dir;
  std::string out = real;
  std::free(real);
  return out;
}

void load_backend_plugin(const std::string& name, bool built, const std::string& not_built_hint) {
  std::string why;
  const std::string dir = plugin_directory(&why);
  if (dir.empty()) {
    report(name, built, "cannot look for plugin libember-" + name + ".so: " + why);
    return;
  }
  const std::string path = dir + "/libember-" + name + ".so";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (built)
      report(name, true, "plugin not installed: " + path + " is missing (this libember was built with it)");
    else
      report(name, false, not_built_hint);
    return;
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    report(name, true, "plugin " + path + " failed to load: " + (err ? err : "unknown dlopen error"));
    return;
  }
  // Plugins stay loaded for the life of the process: their backends are registered for good.
  using VersionFn = const char* (*)();
  using RegisterFn = void (*)();
  auto version = reinterpret_cast<VersionFn>(::dlsym(handle, ("ember_" + name + "_plugin_version").c_str()));
  auto reg = reinterpret_cast<RegisterFn>(::dlsym(handle, ("ember_" + name + "_plugin_register").c_str()));
  if (version == nullptr || reg == nullptr) {
    report(name, true, "plugin " + path + " is not an ember " + name + " plugin (no ember_" + name +
                           "_plugin_register)");
    return;
  }
  if (std::strcmp(version(), EMBER_PLUGIN_VERSION) != 0) {
    report(name, true, "plugin " + path + " was built for ember " + version() + ", this libember is " +
                           EMBER_PLUGIN_VERSION + ": install matching versions");
    return;
  }
  try {
    reg();
  } catch (const std::exception& e) {
    report(name, true, "plugin " + path + " failed to register: " + e.what());
  } catch (...) {
    report(name, true, "plugin " + path + " failed to register (unknown exception)");
  }
}

}  // namespace ember
