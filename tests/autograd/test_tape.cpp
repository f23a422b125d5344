// The tape's life cycle: nodes go away with the tensors that need them, the tape returns to its
// size after every training step, and long chains are freed without recursion.

#include <thread>

#include "../helpers.hpp"

using namespace tgtest;
using namespace tg;

namespace {
struct TinyMlp {
    Generator gen{3};
    Tensor W1 = sample({8, 16}, Domain::any, gen).requires_grad_();
    Tensor b1 = zeros({16}, kFloat64).requires_grad_();
    Tensor W2 = sample({16, 4}, Domain::any, gen).requires_grad_();
    Tensor x = sample({10, 8}, Domain::any, gen);

    double step() {
        const Tensor loss =
            cross_entropy(matmul(sigmoid(matmul(x, W1) + b1), W2), {0, 1, 2, 3, 0, 1, 2, 3, 0, 1});
        for (Tensor* p : {&W1, &b1, &W2}) p->zero_grad();
        loss.backward();
        NoGradGuard no_grad;
        for (Tensor* p : {&W1, &b1, &W2})
            p->mutable_array<double>() -= 0.1 * p->grad().array<double>();
        return loss.item();
    }
};
}  // namespace

TEST_CASE("the tape returns to its baseline after every training step", "[tape]") {
    Tape::current().reset();
    TinyMlp net;
    net.step();
    const std::size_t baseline = Tape::current().size();
    const std::size_t live = Tape::current().live_nodes();
    REQUIRE(live == 3);  // the three parameters' leaf nodes, nothing else
    double first = 0, last = 0;
    for (int i = 0; i < 200; ++i) {
        const double l = net.step();
        if (i == 0) first = l;
        last = l;
        REQUIRE(Tape::current().size() == baseline);
        REQUIRE(Tape::current().live_nodes() == live);
    }
    REQUIRE(last < first);
}

TEST_CASE("dropping a result releases its graph", "[tape]") {
    Tape::current().reset();
    const Tensor x = ones({3}, kFloat64).requires_grad_();
    {
        const Tensor y = exp(x) * 2.0 + 1.0;
        REQUIRE(Tape::current().live_nodes() == 4);  // leaf, exp, affine, affine
    }
    REQUIRE(Tape::current().size() == 1);
    REQUIRE(Tape::current().live_nodes() == 1);
}

TEST_CASE("a chain of a million ops is freed without deep recursion", "[tape]") {
    Tape::current().reset();
    const Tensor x = ones({}, kFloat64).requires_grad_();
    {
        Tensor y = x;
        for (int i = 0; i < 1000000; ++i) y = y * 1.0;
        REQUIRE(Tape::current().size() == 1000001);
    }
    REQUIRE(Tape::current().size() == 1);
}

TEST_CASE("intermediate results held by the user keep their part of the graph", "[tape]") {
    const Tensor x = from_vector({2}, {1}, kFloat64).requires_grad_();
    Tensor h = x * x;
    {
        const Tensor y = h * 3.0;
        y.backward();
    }
    require_close(x.grad(), {12}, 0);
    // h's node was freed by backward; a new use of h records fine, but backward through the
    // freed part is refused.
    const Tensor z = h + 1.0;
    REQUIRE_THROWS_AS(z.backward(), FreedGraphError);
}

TEST_CASE("each thread records on its own tape", "[tape]") {
    auto train = [] {
        TinyMlp net;
        double l = 0;
        for (int i = 0; i < 50; ++i) l = net.step();
        return l;
    };
    const double sequential = train();
    double a = 0, b = 0;
    std::thread t1([&] { a = train(); });
    std::thread t2([&] { b = train(); });
    t1.join();
    t2.join();
    REQUIRE(a == sequential);
    REQUIRE(b == sequential);
}
