#pragma once
// Research tools: removable gradient hooks on tensors and module parameters, gradient
// statistics per parameter and per layer, and a recorder of them during training. Together
// with the graph export (functional/graph_dot.hpp) and gradcheck (functional/gradcheck.hpp)
// these are what the vanishing_gradients and gradcheck_model examples use. Namespace
// tg::research.

#include "grad_recorder.hpp"
#include "grad_stats.hpp"
#include "hooks.hpp"
