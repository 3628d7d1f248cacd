// ember::optim: optimizers (SGD, Adam, AdamW), learning-rate schedules and gradient clipping.
#pragma once
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"
#include "ember/optim/lr_scheduler.h"
#include "ember/optim/one_cycle.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/sgd.h"
