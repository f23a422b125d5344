#pragma once
// The lecture's chain of one sigmoid neuron per layer: z_j = w_j a_{j-1} + b_j, a_j = s(z_j),
// built from Linear(1, 1) + Sigmoid modules, with Nielsen's cross-entropy cost of the last
// activation against a target y.

#include <cmath>
#include <memory>
#include <vector>

#include "tapegrad.hpp"

namespace vg {

struct Chain {
    std::shared_ptr<tg::nn::Sequential> net;
    std::vector<std::shared_ptr<tg::nn::Linear>> neurons;
};

inline Chain make_chain(std::size_t depth, tg::Generator& gen) {
    Chain c{std::make_shared<tg::nn::Sequential>(), {}};
    for (std::size_t j = 0; j < depth; ++j) {
        auto lin =
            std::make_shared<tg::nn::Linear>(tg::nn::LinearOptions(1, 1).dtype(tg::kFloat64), gen);
        tg::nn::init::nielsen_(lin->weight, lin->bias, gen);  // one input: w, b ~ N(0, 1)
        c.net->push_back(lin);
        c.net->push_back(std::make_shared<tg::nn::Sigmoid>());
        c.neurons.push_back(lin);
    }
    return c;
}

inline void set_value(tg::Tensor t, double v) {
    tg::NoGradGuard no_grad;
    t.mutable_array<double>().data()[0] = v;
}

// The exploding construction: w_j = 100 and b_j = -100 a_{j-1}, so that every z_j is 0,
// s'(z_j) = 1/4 and every factor w_j s'(z_j) is 25. a_1 .. a_depth are then 1/2.
inline void make_exploding(Chain& c, double a0, double w = 100.0) {
    double a_prev = a0;
    for (auto& lin : c.neurons) {
        set_value(lin->weight, w);
        set_value(lin->bias, -w * a_prev);
        a_prev = 0.5;
    }
}

// What a chain computes, with plain doubles (no autodiff): the forward values and equation (19)
// generalised to every layer, dC/db_j = s'(z_j) prod_{k>j} w_k s'(z_k) dC/da_L.
struct ChainByHand {
    std::vector<double> w, b, z, a, sigma_prime, dC_db;  // a[0] is the input
    double dC_da_last = 0;
};

inline ChainByHand chain_by_hand(const Chain& c, double a0, double y) {
    ChainByHand h;
    h.a.push_back(a0);
    for (const auto& lin : c.neurons) {
        h.w.push_back(lin->weight.item());
        h.b.push_back(lin->bias.item());
        h.z.push_back(h.w.back() * h.a.back() + h.b.back());
        h.a.push_back(1.0 / (1.0 + std::exp(-h.z.back())));
        h.sigma_prime.push_back(h.a.back() * (1.0 - h.a.back()));
    }
    const double aL = h.a.back();
    h.dC_da_last = (aL - y) / (aL * (1.0 - aL));  // C = -[y ln a + (1 - y) ln(1 - a)]
    const std::size_t L = c.neurons.size();
    h.dC_db.assign(L, 0.0);
    for (std::size_t j = 0; j < L; ++j) {
        double d = h.sigma_prime[j];
        for (std::size_t k = j + 1; k < L; ++k) d *= h.w[k] * h.sigma_prime[k];
        h.dC_db[j] = d * h.dC_da_last;
    }
    return h;
}

// Backward through the chain; returns the cost and leaves dC/dw_j, dC/db_j in .grad().
inline double chain_backward(Chain& c, double a0, double y) {
    c.net->zero_grad(true);
    const tg::Tensor x = tg::from_vector({a0}, {1, 1}, tg::kFloat64);
    const tg::Tensor target = tg::from_vector({y}, {1, 1}, tg::kFloat64);
    const tg::Tensor C = tg::binary_cross_entropy((*c.net)(x), target);
    C.backward();
    return C.item();
}

}  // namespace vg
