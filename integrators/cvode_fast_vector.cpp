#include "integrators/cvode_fast_vector.hpp"

#include <Eigen/Core>
#include <nvector/nvector_serial.h>

#include <cmath>
#include <new>

namespace gradflow::detail {

namespace {

using Array = Eigen::Map<Eigen::ArrayXd>;

Array as_array(N_Vector v) { return Array(NV_DATA_S(v), NV_LENGTH_S(v)); }

void linear_sum(sunrealtype a, N_Vector x, sunrealtype b, N_Vector y, N_Vector z) {
  as_array(z) = a * as_array(x) + b * as_array(y);
}
void constant(sunrealtype c, N_Vector z) { as_array(z).setConstant(c); }
void product(N_Vector x, N_Vector y, N_Vector z) { as_array(z) = as_array(x) * as_array(y); }
void divide(N_Vector x, N_Vector y, N_Vector z) { as_array(z) = as_array(x) / as_array(y); }
void scale(sunrealtype c, N_Vector x, N_Vector z) { as_array(z) = c * as_array(x); }
void absolute(N_Vector x, N_Vector z) { as_array(z) = as_array(x).abs(); }
void inverse(N_Vector x, N_Vector z) { as_array(z) = as_array(x).inverse(); }
void add_constant(N_Vector x, sunrealtype b, N_Vector z) { as_array(z) = as_array(x) + b; }
sunrealtype dot(N_Vector x, N_Vector y) { return (as_array(x) * as_array(y)).sum(); }
sunrealtype max_norm(N_Vector x) {
  return NV_LENGTH_S(x) == 0 ? 0.0 : as_array(x).abs().maxCoeff();
}
sunrealtype weighted_square_sum(N_Vector x, N_Vector w) {
  return (as_array(x) * as_array(w)).square().sum();
}
sunrealtype weighted_square_sum_masked(N_Vector x, N_Vector w, N_Vector id) {
  return (as_array(id) > 0.0).select((as_array(x) * as_array(w)).square(), 0.0).sum();
}
sunrealtype wrms_norm(N_Vector x, N_Vector w) {
  return std::sqrt(weighted_square_sum(x, w) / static_cast<double>(NV_LENGTH_S(x)));
}
sunrealtype wrms_norm_masked(N_Vector x, N_Vector w, N_Vector id) {
  return std::sqrt(weighted_square_sum_masked(x, w, id) / static_cast<double>(NV_LENGTH_S(x)));
}
sunrealtype weighted_l2_norm(N_Vector x, N_Vector w) {
  return std::sqrt(weighted_square_sum(x, w));
}
sunrealtype l1_norm(N_Vector x) { return as_array(x).abs().sum(); }
sunrealtype minimum(N_Vector x) { return NV_LENGTH_S(x) == 0 ? 0.0 : as_array(x).minCoeff(); }
void compare(sunrealtype c, N_Vector x, N_Vector z) {
  as_array(z) = (as_array(x).abs() >= c).cast<double>();
}
// z = 1/x where x ≠ 0; false if some x_i is 0 (those z_i are left alone).
booleantype invert_test(N_Vector x, N_Vector z) {
  Array in = as_array(x), out = as_array(z);
  bool all_nonzero = true;
  for (Eigen::Index i = 0; i < in.size(); ++i) {
    if (in[i] == 0.0) {
      all_nonzero = false;
    } else {
      out[i] = 1.0 / in[i];
    }
  }
  return all_nonzero ? SUNTRUE : SUNFALSE;
}

// z = Σ c_i x_i (CVODE's predictor and history rescaling use this fused form).
int linear_combination(int count, sunrealtype* c, N_Vector* x, N_Vector z) {
  Array out = as_array(z);
  // z may be one of the x_i: accumulate into z only after using it.
  if (x[0] == z) {
    out *= c[0];
  } else {
    out = c[0] * as_array(x[0]);
  }
  for (int i = 1; i < count; ++i) out += c[i] * as_array(x[i]);
  return 0;
}
// z_i = a_i x + y_i.
int scale_add_multi(int count, sunrealtype* a, N_Vector x, N_Vector* y, N_Vector* z) {
  for (int i = 0; i < count; ++i) as_array(z[i]) = a[i] * as_array(x) + as_array(y[i]);
  return 0;
}
int dot_multi(int count, N_Vector x, N_Vector* y, sunrealtype* dots) {
  for (int i = 0; i < count; ++i) dots[i] = dot(x, y[i]);
  return 0;
}

}  // namespace

N_Vector make_fast_serial_vector(sunindextype length, SUNContext context) {
  N_Vector v = N_VNew_Serial(length, context);
  if (v == nullptr) throw std::bad_alloc();
  N_Vector_Ops ops = v->ops;
  ops->nvlinearsum = linear_sum;
  ops->nvconst = constant;
  ops->nvprod = product;
  ops->nvdiv = divide;
  ops->nvscale = scale;
  ops->nvabs = absolute;
  ops->nvinv = inverse;
  ops->nvaddconst = add_constant;
  ops->nvdotprod = dot;
  ops->nvmaxnorm = max_norm;
  ops->nvwrmsnorm = wrms_norm;
  ops->nvwrmsnormmask = wrms_norm_masked;
  ops->nvmin = minimum;
  ops->nvwl2norm = weighted_l2_norm;
  ops->nvl1norm = l1_norm;
  ops->nvcompare = compare;
  ops->nvinvtest = invert_test;
  ops->nvlinearcombination = linear_combination;
  ops->nvscaleaddmulti = scale_add_multi;
  ops->nvdotprodmulti = dot_multi;
  ops->nvdotprodlocal = dot;
  ops->nvmaxnormlocal = max_norm;
  ops->nvminlocal = minimum;
  ops->nvl1normlocal = l1_norm;
  ops->nvinvtestlocal = invert_test;
  ops->nvwsqrsumlocal = weighted_square_sum;
  ops->nvwsqrsummasklocal = weighted_square_sum_masked;
  return v;
}

}  // namespace gradflow::detail
