// MPI for the whole test run: initialised before the first test case and finalised after the
// last, around Catch2's own main (tests/catch_main.cpp). Every process runs every test case, in
// the same order, so their collectives meet.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <memory>

#include "distributed/distributed.hpp"

namespace {

class MpiSession : public Catch::TestEventListenerBase {
  public:
    using TestEventListenerBase::TestEventListenerBase;

    void testRunStarting(const Catch::TestRunInfo& info) override {
        env_ = std::make_unique<tg::distributed::Environment>();
        // Differences of 1e-15 should show as such in a failure, not as 0.0.
        Catch::StringMaker<double>::precision = 17;
        TestEventListenerBase::testRunStarting(info);
    }

    void testRunEnded(const Catch::TestRunStats& stats) override {
        TestEventListenerBase::testRunEnded(stats);
        env_.reset();
    }

  private:
    std::unique_ptr<tg::distributed::Environment> env_;
};

}  // namespace

CATCH_REGISTER_LISTENER(MpiSession)
