// Linear conjugate gradient given only products A v.

#include "problems.hpp"

using namespace tgtest;
using namespace tg;
using namespace tg::optim;

namespace {

LinearOperator matrix_operator(const Matrix& a, std::size_t* calls = nullptr) {
    return [a, calls](const FlatVector& v, FlatVector& av) {
        av = mat_vec(a, v);
        if (calls) ++*calls;
    };
}

double residual(const Matrix& a, const FlatVector& x, const FlatVector& b, double shift = 0) {
    const FlatVector ax = mat_vec(a, x);
    double s = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        const double r = b[i] - ax[i] - shift * x[i];
        s += r * r;
    }
    return std::sqrt(s);
}

}  // namespace

TEST_CASE("linear CG solves an SPD system in at most n steps", "[optim][linear_cg]") {
    const Quadratic q(log_spaced(8, 50), 11);
    std::size_t calls = 0;
    std::size_t iterates = 0;
    // n steps in exact arithmetic; in double precision the residual after n steps is ~1e-12
    // here (loss of orthogonality), so ask for 1e-10.
    const LinearCGResult r =
        conjugate_gradient(matrix_operator(q.a, &calls), q.b, LinearCGOptions().rel_tol(1e-10),
                           [&](const FlatVector&) { ++iterates; });
    REQUIRE(r.status == LinearCGStatus::converged);
    REQUIRE(r.iterations <= 8);
    REQUIRE(r.products == calls);
    REQUIRE(iterates == r.iterations);
    require_close(r.x, q.minimiser, 1e-10, 1e-10);
    REQUIRE(residual(q.a, r.x, q.b) <= 1e-10 * std::sqrt(inner(q.b, q.b)));
    // The model x.A x / 2 - b.x at the solution is -b.A^-1 b / 2.
    REQUIRE(r.model == Approx(-0.5 * inner(q.b, q.minimiser)).epsilon(1e-10));
}

TEST_CASE("linear CG with k distinct eigenvalues needs k steps", "[optim][linear_cg]") {
    // Three clusters of eigenvalues in a 9-dimensional problem: CG's polynomial needs degree 3.
    const Quadratic q({1, 1, 1, 10, 10, 10, 100, 100, 100}, 5);
    const LinearCGResult r =
        conjugate_gradient(matrix_operator(q.a), q.b, LinearCGOptions().rel_tol(1e-10));
    REQUIRE(r.status == LinearCGStatus::converged);
    REQUIRE(r.iterations == 3);
    require_close(r.x, q.minimiser, 1e-9, 1e-9);
}

TEST_CASE("linear CG stops at max_iter and on the residual tolerance", "[optim][linear_cg]") {
    const Quadratic q(log_spaced(20, 1e4), 3);
    const LinearCGResult r =
        conjugate_gradient(matrix_operator(q.a), q.b, LinearCGOptions().max_iter(4));
    REQUIRE(r.status == LinearCGStatus::max_iterations);
    REQUIRE(r.iterations == 4);
    REQUIRE(r.residual_norm == Approx(residual(q.a, r.x, q.b)).epsilon(1e-8));
    const LinearCGResult loose =
        conjugate_gradient(matrix_operator(q.a), q.b, LinearCGOptions().rel_tol(0.5));
    REQUIRE(loose.status == LinearCGStatus::converged);
    REQUIRE(residual(q.a, loose.x, q.b) <= 0.5 * std::sqrt(inner(q.b, q.b)) * (1 + 1e-12));
}

TEST_CASE("linear CG reports negative curvature", "[optim][linear_cg]") {
    // An indefinite diagonal matrix; b has weight on the negative direction.
    const Matrix a{{2, 0, 0}, {0, -1, 0}, {0, 0, 3}};
    const LinearCGResult r = conjugate_gradient(matrix_operator(a), {1, 1, 1});
    REQUIRE(r.status == LinearCGStatus::negative_curvature);
    REQUIRE_FALSE(r.negative_curvature_direction.empty());
    const FlatVector& p = r.negative_curvature_direction;
    REQUIRE(inner(p, mat_vec(a, p)) <= 0);
    REQUIRE(r.curvature == Approx(inner(p, mat_vec(a, p)) / inner(p, p)));
}

TEST_CASE("Steihaug CG stops on the trust-region boundary", "[optim][linear_cg]") {
    const Quadratic q(log_spaced(6, 100), 8);
    const double full = std::sqrt(inner(q.minimiser, q.minimiser));
    const double radius = 0.3 * full;
    const LinearCGResult r =
        conjugate_gradient(matrix_operator(q.a), q.b, LinearCGOptions().trust_radius(radius));
    REQUIRE(r.status == LinearCGStatus::trust_region);
    REQUIRE(std::sqrt(inner(r.x, r.x)) == Approx(radius).epsilon(1e-12));
    REQUIRE(r.model ==
            Approx(0.5 * inner(r.x, mat_vec(q.a, r.x)) - inner(q.b, r.x)).epsilon(1e-10));
    REQUIRE(r.model < 0);
    // With negative curvature it goes to the boundary too.
    const Matrix a{{2, 0}, {0, -1}};
    const LinearCGResult n =
        conjugate_gradient(matrix_operator(a), {1, 1}, LinearCGOptions().trust_radius(2));
    REQUIRE(n.status == LinearCGStatus::trust_region);
    REQUIRE(std::sqrt(inner(n.x, n.x)) == Approx(2).epsilon(1e-12));
}

TEST_CASE("linear CG with damping solves the shifted system", "[optim][linear_cg]") {
    const Quadratic q(log_spaced(6, 100), 4);
    const LinearCGResult r = conjugate_gradient(matrix_operator(q.a), q.b,
                                                LinearCGOptions().damping(0.7).rel_tol(1e-12));
    REQUIRE(r.status == LinearCGStatus::converged);
    REQUIRE(residual(q.a, r.x, q.b, 0.7) <= 1e-10);
}

TEST_CASE("linear CG with Hessian-vector products by autodiff", "[optim][linear_cg]") {
    // The Hessian of the quadratic is A: solving H x = b with autodiff products gives A^-1 b.
    const Quadratic q(log_spaced(7, 30), 9);
    const Tensor w = from_vector(std::vector<double>(7, 0.3), {7}, kFloat64).requires_grad_();
    HessianVectorProduct hv([&] { return q(w); }, {w});
    const LinearCGResult r =
        conjugate_gradient(hvp_operator(hv, {w}), q.b, LinearCGOptions().rel_tol(1e-12));
    REQUIRE(r.status == LinearCGStatus::converged);
    REQUIRE(hv.products() == r.products);
    require_close(r.x, q.minimiser, 1e-9, 1e-9);
}
