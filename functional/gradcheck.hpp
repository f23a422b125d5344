#pragma once
// Gradient checking for users: analytic derivatives against central finite differences.
//
// The checks differentiate with respect to the very tensors they are given, and perturb those
// tensors in place (restoring every value exactly afterwards, also on an exception), as
// PyTorch's gradcheck does. So f may read its argument vector or, like a module's forward, the
// tensors themselves: gradcheck(loss_of_net, net->parameters()) checks the parameters. An input
// that f does not depend on fails the check (nothing was compared for it) unless allow_unused.
//
// Tolerances: an entry passes if |analytic - numeric| <= atol + rtol |numeric|. The defaults
// (atol 1e-5, rtol 1e-3) absorb the error of finite differences through float64 code that
// loses some digits (long chains, reductions, ill-conditioned ops), but they accept a
// derivative that is wrong by a relative 1e-4 or so, or by ~1e-5 where it is near zero: a
// wrong constant in a vjp (a factor 1 + 1e-5) passes them. For a new op's rules, check with
// strict tolerances as well (atol 1e-7, rtol 1e-6, what tapegrad's own op tests use), which
// catch such errors; central differences at eps 1e-6 on well-conditioned float64 code are good
// to ~1e-9.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "../autograd/tensor.hpp"

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
    // An input that f does not depend on (no gradient reaches it and every finite difference is
    // exactly zero) fails the check, since every entry compared for it is a trivial 0 = 0. Set
    // this when that is expected. gradgradcheck accepts inputs that f is linear in: there the
    // second derivative is zero but f does depend on them.
    bool allow_unused = false;
    // Fourth-order central differences: Richardson's extrapolation (4 D(eps) - D(2 eps)) / 3 of
    // the central differences D with steps eps and 2 eps. Their truncation error is O(eps^4)
    // instead of O(eps^2): for functions whose higher derivatives are large, where plain central
    // differences miss the strict tolerances by their own error. Twice the evaluations.
    bool richardson = false;
};

struct GradcheckInputReport {
    std::string name;
    std::size_t elements = 0;
    double max_abs_error = 0;
    double max_rel_error = 0;
    bool unused = false;  // the function does not depend on this input (see allow_unused)
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
// differences. Inputs must be float64 (leaves or not). f may return any shape.
GradcheckReport gradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

// Second derivatives: gradcheck of the vector-Jacobian product (x, u) -> J(x)^T u with respect
// to the inputs and to u, for a random u. For a scalar f this checks Hessian-vector products
// against finite differences of gradients.
GradcheckReport gradgradcheck(const TensorFunction& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace tg
