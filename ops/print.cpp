#include "ops/print.hpp"

#include <ostream>

#include <xtensor/xio.hpp>

namespace tg {

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "Tensor(undefined)";
    if (t.dtype() == kFloat32)
        os << t.array<float>();
    else
        os << t.array<double>();
    os << "\n[" << dtype_name(t.dtype()) << shape_str(t.shape());
    if (t.requires_grad()) os << (t.is_leaf() ? ", requires_grad" : ", grad_fn");
    return os << "]";
}

}  // namespace tg
