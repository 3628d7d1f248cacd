// ember/io: file formats. safetensors tensors files, training checkpoints, atomic file writes
// and PNG training-curve plots.
#pragma once
#include "ember/io/atomic_file.h"
#include "ember/io/checkpoint.h"
#include "ember/io/plot.h"
#include "ember/io/safetensors.h"
