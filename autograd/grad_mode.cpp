#include "autograd/grad_mode.hpp"

namespace tg {

namespace {
thread_local bool tl_grad_enabled = true;
thread_local bool tl_anomaly = false;
thread_local bool tl_tangents = true;
}  // namespace

bool grad_enabled() {
    return tl_grad_enabled;
}
void set_grad_enabled(bool on) {
    tl_grad_enabled = on;
}

NoGradGuard::NoGradGuard() : previous_(tl_grad_enabled) {
    tl_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
    tl_grad_enabled = previous_;
}

EnableGradGuard::EnableGradGuard() : previous_(tl_grad_enabled) {
    tl_grad_enabled = true;
}
EnableGradGuard::~EnableGradGuard() {
    tl_grad_enabled = previous_;
}

bool anomaly_enabled() {
    return tl_anomaly;
}
void set_anomaly_enabled(bool on) {
    tl_anomaly = on;
}

AnomalyGuard::AnomalyGuard(bool on) : previous_(tl_anomaly) {
    tl_anomaly = on;
}
AnomalyGuard::~AnomalyGuard() {
    tl_anomaly = previous_;
}

namespace detail {
bool tangents_enabled() {
    return tl_tangents;
}
TangentsOffGuard::TangentsOffGuard() : previous_(tl_tangents) {
    tl_tangents = false;
}
TangentsOffGuard::~TangentsOffGuard() {
    tl_tangents = previous_;
}
}  // namespace detail

}  // namespace tg
