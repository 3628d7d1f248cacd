// Class names of the data sets ember reads (see ember/data/class_names.h).
#include "ember/data/class_names.h"

#include "ember/error.h"

namespace ember::data {

std::vector<std::string> class_names(const std::string& dataset) {
  if (dataset == "mnist") return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  if (dataset == "fashion-mnist")  // zalandoresearch/fashion-mnist README, "Labels"
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  if (dataset == "cifar10")  // batches.meta.txt of the CIFAR-10 binary version
    return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  EMBER_FAIL("class_names: unknown dataset '", dataset, "' (known: mnist, fashion-mnist, cifar10)");
}

}  // namespace ember::data
