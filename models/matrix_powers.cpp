#include "models/matrix_powers.hpp"

#include <Eigen/SVD>

#include <cmath>

namespace gradflow {

Eigen::Index numerical_rank(const Eigen::MatrixXd& W) {
  return numerical_rank(Eigen::JacobiSVD<Eigen::MatrixXd>(W).singularValues(), W.rows(), W.cols());
}

Eigen::MatrixXd gram_power(const Eigen::MatrixXd& W, double p) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(W, Eigen::ComputeThinV);
  Eigen::VectorXd s = svd.singularValues();
  const double cutoff = singular_value_cutoff(W.rows(), W.cols(), s.size() ? s[0] : 0.0);
  for (Eigen::Index k = 0; k < s.size(); ++k) s[k] = s[k] <= cutoff ? 0.0 : std::pow(s[k], 2.0 * p);
  return svd.matrixV() * s.asDiagonal() * svd.matrixV().transpose();
}

}  // namespace gradflow
