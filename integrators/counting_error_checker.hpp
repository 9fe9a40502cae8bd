#pragma once
// The error measure of every odeint-controlled step (dopri5, event_driven's
// dopri5, cash_karp54, fehlberg78): odeint's default,
//   err = max_i |e_i| / (atol + rtol(|x_i| + h|ẋ_i|)),
// a trial accepted when err ≤ 1, evaluated in place (odeint's own checker
// copies the Eigen vectors three times a step), and counting the trials it
// rejects into the run's statistics.

#include <cmath>

namespace gradflow::detail {

class CountingErrorChecker {
 public:
  CountingErrorChecker(long* rejected = nullptr, double atol = 1e-6, double rtol = 1e-6)
      : rejected_(rejected), atol_(atol), rtol_(rtol) {}

  template <class S, class D, class E, class T>
  double error(const S& x_old, const D& dxdt_old, E& x_err, T dt) const {
    const double err =
        (x_err.array().abs() /
         (atol_ + rtol_ * (x_old.array().abs() + std::abs(dt) * dxdt_old.array().abs())))
            .maxCoeff();
    if (err > 1.0 && rejected_ != nullptr) ++*rejected_;
    return err;
  }
  template <class Algebra, class S, class D, class E, class T>
  double error(Algebra& /*algebra*/, const S& x_old, const D& dxdt_old, E& x_err, T dt) const {
    return error(x_old, dxdt_old, x_err, dt);
  }

 private:
  long* rejected_;
  double atol_;
  double rtol_;
};

}  // namespace gradflow::detail
