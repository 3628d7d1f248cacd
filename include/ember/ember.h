// ember: the umbrella header. #include <ember/ember.h> gives the whole public API.
#pragma once
#include "ember/autograd.h"
#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/linalg.h"
#include "ember/ops/nn.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"
#include "ember/random.h"
#include "ember/tensor.h"
#include "ember/threading.h"
