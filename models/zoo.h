// Forwarding header: the model zoo's public header is <ember/models/zoo.h> (installed with the
// package, target ember::models). Kept so code inside the tree may still include "models/zoo.h".
#pragma once
#include "ember/models/zoo.h"
