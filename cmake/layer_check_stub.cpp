// For the layer link checks below the backend registry (cmake/EmberLayers.cmake): core declares
// register_all_backends() for the layer above the backends to define (src/backends/register_all.cpp);
// a check of core alone, or of a layer that does not contain the registry, links this empty one.
#include "core/backend.h"

void ember::register_all_backends() {}
