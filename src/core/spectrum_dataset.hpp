#pragma once
// Regression data with a chosen spectrum, the setting of Saxe, McClelland &
// Ganguli (2014): whitened inputs, Σxx = XXᵀ/n = I, and targets whose
// input-output correlation Σyx = YXᵀ/n = U diag(s) Vᵀ has the singular values
// s the user lists, with random or given singular vectors. On such data the
// gradient flow of a linear network decouples into modes u_k = u_kᵀ W v_k
// when the start is aligned, and shows stage-like learning (one plateau per
// mode, strongest first) from a small random start.

#include "core/dataset.hpp"
#include "core/rng.hpp"

#include <Eigen/Core>

namespace gradflow {

struct SpectrumDataOptions {
  Eigen::Index samples = 100;       // n ≥ inputs (whitening needs XXᵀ/n of full rank)
  Eigen::Index inputs = 3;          // d0
  Eigen::Index outputs = 3;         // dN
  Eigen::VectorXd singular_values;  // s_1..s_r > 0, r ≤ min(d0, dN), in the order given
  // Orthonormal columns U (dN × r) and V (d0 × r); empty: drawn at random.
  Eigen::MatrixXd left, right;
};

struct SpectrumDataset {
  Dataset data;
  Eigen::MatrixXd U, V;  // Σyx = U diag(s) Vᵀ: the modes' singular vectors
  Eigen::VectorXd s;
};

// X = √n Qᵀ with Q (n × d0) the orthonormal factor of a Gaussian n × d0
// matrix, so XXᵀ/n = QᵀQ = I to round-off; Y = U diag(s) Vᵀ X (no noise), so
// YXᵀ/n = U diag(s) Vᵀ. Random U, V: orthonormal factors of Gaussian dN × r
// and d0 × r matrices. Draw order, fixed: the n × d0 matrix column by column,
// then U's, then V's. Throws std::invalid_argument for sizes that do not fit,
// a singular value ≤ 0 or not finite, or given vectors that are not
// orthonormal (‖UᵀU − I‖_max > 1e-10).
SpectrumDataset make_spectrum_dataset(const SpectrumDataOptions& options, Rng& rng);

}  // namespace gradflow
