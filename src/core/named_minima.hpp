#pragma once
// Models that know their minima by name (e.g. the "sharp" and "wide" minimum
// of the 1-D landscape), so that an ensemble of runs can say where each run
// ended. A separate interface rather than a Field member: most models have no
// finite list of minima. Ask with known_minima(field), never by casting.

#include "core/field.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace gradflow {

struct NamedPoint {
  std::string name;
  Eigen::VectorXd point;
};

class HasNamedMinima {
 public:
  virtual ~HasNamedMinima() = default;
  // Fixed at construction; every point has the field's dim().
  virtual const std::vector<NamedPoint>& named_minima() const = 0;
};

// The field's named minima, or an empty list for models without them.
inline const std::vector<NamedPoint>& known_minima(const Field& field) {
  static const std::vector<NamedPoint> none;
  const auto* named = dynamic_cast<const HasNamedMinima*>(&field);
  return named != nullptr ? named->named_minima() : none;
}

}  // namespace gradflow
