#pragma once
// tapegrad's neural-network library: modules and layers, initialisers, data loading and
// checkpoints. Everything is in namespace tg::nn (data in tg::nn::data).

#include "nn/activation.hpp"
#include "nn/batchnorm.hpp"
#include "nn/conv.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/loader.hpp"
#include "nn/data/mnist.hpp"
#include "nn/dropout.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/metrics.hpp"
#include "nn/module.hpp"
#include "nn/npy.hpp"
#include "nn/options.hpp"
#include "nn/pooling.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"
