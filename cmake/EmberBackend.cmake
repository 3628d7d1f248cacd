# ember_backend_library(<target> <name> <sources>...): the library of the GPU backend <name>.
# With a shared libember (EMBER_SHARED) it is a plugin, libember-<name>.so, written beside
# libember in the build tree and installed beside it, linked against libember and loaded by it
# at run time (src/backends/plugin_loader.cpp), so libember has no link dependency on the
# backend's runtime. The backend's own tests link the same shared library; libember's dlopen
# then finds it already loaded, so one copy of the code runs. With a static libember it is a
# static library linked into libember (EMBER_WITH_<NAME>), registered directly.
# It sees only core's headers and its own folder (a layer above core, beside the CPU backend).
# Callers add the backend's own dependencies with target_link_libraries(<target> PRIVATE ...).
function(ember_backend_library target name)
  string(TOUPPER ${name} upper)
  if(EMBER_SHARED)
    add_library(${target} SHARED ${ARGN})
    set_target_properties(${target} PROPERTIES
      OUTPUT_NAME ember-${name}
      LIBRARY_OUTPUT_DIRECTORY ${EMBER_LIBRARY_OUTPUT_DIR}
      INSTALL_RPATH "$ORIGIN")  # libember, beside it
    target_link_libraries(${target} PRIVATE ember)
    target_compile_definitions(ember_backends PRIVATE EMBER_${upper}_PLUGIN)
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
    # Nothing links a plugin, so programs depend on them through ember_plugins (tools/ember).
    if(NOT TARGET ember_plugins)
      add_custom_target(ember_plugins)
    endif()
    add_dependencies(ember_plugins ${target})
  else()
    add_library(${target} STATIC ${ARGN})
    target_link_libraries(ember PRIVATE ${target})
    target_compile_definitions(ember_backends PRIVATE EMBER_WITH_${upper})
    # A static libember carries the backend's objects only through the export set.
    install(TARGETS ${target} EXPORT emberTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  endif()
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # Its include root (cmake/EmberLayers.cmake): core, its own folder and the plugin entry point
  # (backends/plugin_api.h), nothing of the layers above.
  ember_include_root(${name} SRC backends/${name} backends/plugin_api.h DEPENDS core)
  target_include_directories(${target} PRIVATE ${EMBER_INCLUDE_ROOT_${name}})
  target_compile_definitions(${target} PRIVATE EMBER_PLUGIN_VERSION="${PROJECT_VERSION}")
endfunction()
