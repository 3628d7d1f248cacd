// The names of a data set's classes, in label order, for printing predictions and confusion
// matrices: MNIST's digits, Fashion-MNIST's garments, CIFAR-10's objects.
#pragma once
#include <string>
#include <vector>

namespace ember::data {

/// The class names of `dataset`, index = label: "mnist" -> "0".."9"; "fashion-mnist" ->
/// "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
/// "Ankle boot" (Zalando's names); "cifar10" -> "airplane", "automobile", ..., "truck". Another
/// name throws ember::Error listing these.
std::vector<std::string> class_names(const std::string& dataset);

}  // namespace ember::data
