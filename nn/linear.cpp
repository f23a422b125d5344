#include "nn/linear.hpp"

#include "autograd/errors.hpp"
#include "nn/init.hpp"
#include "ops/arithmetic.hpp"
#include "ops/creation.hpp"
#include "ops/linalg.hpp"

namespace tg::nn {

namespace functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (weight.dim() != 2) {
        throw ShapeError("linear: weight must be [out, in], got " + shape_str(weight.shape()));
    }
    if ((x.dim() != 2 && x.dim() != 3) || x.shape()[x.dim() - 1] != weight.shape()[1]) {
        throw ShapeError("linear: input " + shape_str(x.shape()) + " does not fit weight " +
                         shape_str(weight.shape()) + "; expected [N, " +
                         std::to_string(weight.shape()[1]) + "]");
    }
    if (x.dtype() != weight.dtype()) {
        throw DTypeError(std::string("linear: input is ") + dtype_name(x.dtype()) +
                         " but the weight is " + dtype_name(weight.dtype()));
    }
    Tensor y = matmul(x, weight, false, true);
    return bias.defined() ? add(y, bias) : y;
}

}  // namespace functional

Linear::Linear(const LinearOptions& options) : Linear(options, default_generator()) {}

Linear::Linear(const LinearOptions& options, Generator& gen) : Module("Linear"), options_(options) {
    if (options.in_features() == 0 || options.out_features() == 0) {
        throw ValueError("Linear: in_features " + std::to_string(options.in_features()) +
                         " and out_features " + std::to_string(options.out_features()) +
                         " must be positive");
    }
    weight = register_parameter(
        "weight", zeros({options.out_features(), options.in_features()}, options.dtype()));
    if (options.bias())
        bias = register_parameter("bias", zeros({options.out_features()}, options.dtype()));
    reset_own_parameters(gen);
}

void Linear::reset_own_parameters(Generator& gen) {
    init::default_linear_(weight, bias, gen);
}

Tensor Linear::forward(const Tensor& input) {
    return functional::linear(input, weight, bias);
}

std::string Linear::repr() const {
    return "Linear(in_features=" + std::to_string(options_.in_features()) +
           ", out_features=" + std::to_string(options_.out_features()) +
           ", bias=" + (options_.bias() ? "true" : "false") + ")";
}

}  // namespace tg::nn
