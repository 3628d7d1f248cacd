// The C entry points of a GPU backend built as a plugin (libember-<name>.so, loaded at run time
// by plugin_loader.cpp): ember_<name>_plugin_version() returns the ember version the plugin was
// built for (libember refuses another), ember_<name>_plugin_register() registers its devices
// and reports the backend's status, exactly as a linked-in backend's register_<name>() does.
#pragma once

#define EMBER_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

/// Defines the two entry points of the plugin `name` around its registration function.
#define EMBER_BACKEND_PLUGIN(name, register_fn)                                       \
  EMBER_PLUGIN_EXPORT const char* ember_##name##_plugin_version() { return EMBER_PLUGIN_VERSION; } \
  EMBER_PLUGIN_EXPORT void ember_##name##_plugin_register() { register_fn(); }
