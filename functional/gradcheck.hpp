#pragma once
// Gradient checking for users: analytic derivatives against central finite differences.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace tg {

struct GradcheckOptions {
    double eps = 1e-6;   // finite-difference step
    double atol = 1e-5;  // an element passes if |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;
    // Check the Jacobian through one random projection u (one backward, 2 evaluations per input
    // element) instead of whole (one backward per output element).
    bool fast = false;
    std::uint64_t seed = 0;          // for u in fast mode and for gradgradcheck's grad_outputs
    std::vector<std::string> names;  // optional names of the inputs, for the report
};

struct GradcheckInputReport {
    std::string name;
    std::size_t elements = 0;
    double max_abs_error = 0;
    double max_rel_error = 0;
    bool passed = true;
};

struct GradcheckReport {
    bool passed = true;
    std::size_t checked = 0;  // Jacobian entries compared
    double max_abs_error = 0;
    double max_rel_error = 0;
    // The entry furthest outside the tolerance (or with the largest error if all pass).
    std::size_t worst_input = 0;
    std::size_t worst_element = 0;  // flat index into that input
    std::size_t worst_output = 0;   // flat index into the output
    double worst_analytic = 0;
    double worst_numeric = 0;
    std::vector<GradcheckInputReport> inputs;
    std::string what = "gradcheck";

    std::string to_string() const;
    // One line per input: name, elements, max abs and rel error, pass/fail.
    std::string table() const;
};

std::ostream& operator<<(std::ostream& os, const GradcheckReport& r);

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Compares the Jacobian of f with respect to every input that requires grad against central
// differences. Inputs must be float64. f may return any shape.
GradcheckReport gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

// Second derivatives: gradcheck of the vector-Jacobian product (x, u) -> J(x)^T u with respect
// to the inputs and to u, for a random u. For a scalar f this checks Hessian-vector products
// against finite differences of gradients.
GradcheckReport gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace tg
