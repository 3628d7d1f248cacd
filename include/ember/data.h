// ember data: datasets (MNIST, CIFAR-10, in-memory), the DataLoader, batch transforms, image
// files, byte-level text corpora, and fetching MNIST and Fashion-MNIST.
#pragma once
#include "ember/data/cifar10.h"
#include "ember/data/class_names.h"
#include "ember/data/dataloader.h"
#include "ember/data/dataset.h"
#include "ember/data/fetch.h"
#include "ember/data/image.h"
#include "ember/data/mnist.h"
#include "ember/data/text.h"
#include "ember/data/transforms.h"
