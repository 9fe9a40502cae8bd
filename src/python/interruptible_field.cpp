#include "python/interruptible_field.hpp"

#include "core/named_minima.hpp"

namespace gradflow::python {

double InterruptibleField::loss(const Eigen::VectorXd& x) const {
  check_->tick();
  return inner_.loss(x);
}

void InterruptibleField::gradient(const Eigen::VectorXd& x, Eigen::VectorXd& g) const {
  check_->tick();
  inner_.gradient(x, g);
}

void InterruptibleField::velocity(const Eigen::VectorXd& x, double t, Eigen::VectorXd& dxdt) const {
  check_->tick();
  inner_.velocity(x, t, dxdt);
}

void InterruptibleField::hessian_vector(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                        Eigen::VectorXd& hv) const {
  check_->tick();
  inner_.hessian_vector(x, v, hv);
}

void InterruptibleField::velocity_jacobian_vector(const Eigen::VectorXd& x, double t,
                                                  const Eigen::VectorXd& v,
                                                  Eigen::VectorXd& jv) const {
  check_->tick();
  inner_.velocity_jacobian_vector(x, t, v, jv);
}

Eigen::MatrixXd InterruptibleField::project(const Eigen::VectorXd& x) const {
  check_->tick();
  return inner_.project(x);
}

Observation InterruptibleField::observe(const Eigen::VectorXd& x) const {
  check_->tick();
  return inner_.observe(x);
}

Observation InterruptibleField::observe_at(const Eigen::VectorXd& x, double t) const {
  check_->tick();
  return inner_.observe_at(x, t);
}

namespace {

// Ensembles label each member's end by the model's named minima, which they
// find by casting the field: the wrapper keeps that interface.
class InterruptibleNamedField final : public InterruptibleField, public HasNamedMinima {
 public:
  InterruptibleNamedField(const Field& inner, const HasNamedMinima& named,
                          std::shared_ptr<const SignalCheck> check)
      : InterruptibleField(inner, std::move(check)), named_(named) {}
  const std::vector<NamedPoint>& named_minima() const override { return named_.named_minima(); }

 private:
  const HasNamedMinima& named_;
};

bool needs_concrete_field(Method m) {
  return m == Method::event_driven || m == Method::relu_windows || m == Method::exact;
}

}  // namespace

void wrap_for_interrupts(PreparedExperiment& p) {
  auto check = std::make_shared<const SignalCheck>();
  for (std::size_t i = 0; i < p.targets.size(); ++i) {
    RunTarget& target = p.targets[i];
    if (needs_concrete_field(p.spec.runs[i].method.method)) continue;
    const Field& inner = *target.field;
    if (const auto* named = dynamic_cast<const HasNamedMinima*>(&inner)) {
      p.wrappers.push_back(std::make_unique<InterruptibleNamedField>(inner, *named, check));
    } else {
      p.wrappers.push_back(std::make_unique<InterruptibleField>(inner, check));
    }
    target.field = p.wrappers.back().get();
  }
}

}  // namespace gradflow::python
