#include "functional/jvp.hpp"

#include "autograd/grad_mode.hpp"
#include "functional/dual.hpp"
#include "ops/creation.hpp"

namespace tg {

JvpResult jvp(const std::function<Tensor(const std::vector<Tensor>&)>& f,
              const std::vector<Tensor>& inputs, const std::vector<Tensor>& tangents) {
    NoGradGuard no_tape;
    DualGuard dual(inputs, tangents);
    JvpResult r;
    r.value = f(inputs);
    r.tangent = r.value.tangent().defined() ? r.value.tangent() : zeros_like(r.value);
    r.value = r.value.detach();
    return r;
}

}  // namespace tg
