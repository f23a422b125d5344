#pragma once
// tapegrad's neural-network library: modules and layers, initialisers, data loading and
// checkpoints. Everything is in namespace tg::nn (data in tg::nn::data).

#include "activation.hpp"
#include "batchnorm.hpp"
#include "conv.hpp"
#include "data/dataset.hpp"
#include "data/idx.hpp"
#include "data/loader.hpp"
#include "data/mnist.hpp"
#include "dropout.hpp"
#include "init.hpp"
#include "linear.hpp"
#include "metrics.hpp"
#include "module.hpp"
#include "npy.hpp"
#include "options.hpp"
#include "pooling.hpp"
#include "sequential.hpp"
#include "serialize.hpp"
