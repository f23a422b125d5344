#pragma once
// Thread-local switches: whether ops are recorded (grad mode), and anomaly detection.

namespace tg {

bool grad_enabled();
void set_grad_enabled(bool on);

// Ops inside the guard's scope are not recorded: their results do not require grad.
class NoGradGuard {
  public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

  private:
    bool previous_;
};

// Turns recording back on inside a no-grad region.
class EnableGradGuard {
  public:
    EnableGradGuard();
    ~EnableGradGuard();
    EnableGradGuard(const EnableGradGuard&) = delete;
    EnableGradGuard& operator=(const EnableGradGuard&) = delete;

  private:
    bool previous_;
};

// Anomaly mode: every op checks its inputs and its result for NaN and Inf, log and sqrt check
// their domain, and backward checks every gradient. The first op that sees a bad value throws
// NumericError naming itself. Costs a pass over every array; meant for debugging.
bool anomaly_enabled();
void set_anomaly_enabled(bool on);

class AnomalyGuard {
  public:
    explicit AnomalyGuard(bool on = true);
    ~AnomalyGuard();
    AnomalyGuard(const AnomalyGuard&) = delete;
    AnomalyGuard& operator=(const AnomalyGuard&) = delete;

  private:
    bool previous_;
};

namespace detail {
// Forward-mode tangents are propagated unless switched off; jvp rules run with them off so
// that a rule sees primal values only (one level of tangents).
bool tangents_enabled();
class TangentsOffGuard {
  public:
    TangentsOffGuard();
    ~TangentsOffGuard();
    TangentsOffGuard(const TangentsOffGuard&) = delete;
    TangentsOffGuard& operator=(const TangentsOffGuard&) = delete;

  private:
    bool previous_;
};
}  // namespace detail

}  // namespace tg
