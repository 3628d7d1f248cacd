// Loads a GPU backend built as a plugin (libember-<name>.so) from the directory libember itself
// was loaded from, in the build tree and in an install prefix alike, so that libember has no
// link dependency on CUDA or OpenCL. Called by register_all.cpp only.
#pragma once
#include <string>

namespace ember {

/// Loads libember-<name>.so from plugin_directory() and calls its ember_<name>_plugin_register()
/// (plugin_api.h). Never throws: every outcome reaches backend_statuses(): the plugin's own
/// report, or "not built" (not_built_hint, when built is false and no plugin is there), "plugin
/// not installed" (built but missing), "failed to load" with dlerror()'s text (a missing
/// libcudart, say), or a version mismatch. Each plugin is loaded at most once per process;
/// loading one that the executable already links (the backend's own tests) reuses that copy.
void load_backend_plugin(const std::string& name, bool built, const std::string& not_built_hint);

/// The directory of the libember shared object in this process, where plugins are looked for;
/// "" with the reason in *why when it cannot be found.
std::string plugin_directory(std::string* why = nullptr);

}  // namespace ember
