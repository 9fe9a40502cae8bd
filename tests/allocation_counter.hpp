#pragma once
// Counts heap allocations in a test or benchmark binary (compile
// allocation_counter.cpp into that executable only).
//
// Replacing the global operator new does not see Eigen: Eigen allocates matrix storage with
// std::malloc, so a hidden MatrixXd temporary in a field evaluation would go uncounted. This
// counter interposes glibc's malloc, calloc and realloc instead, which catches
// Eigen's storage and operator new alike (libstdc++'s operator new calls malloc).
// glibc only (Debian).

namespace gradflow::testing {

// malloc + calloc + realloc calls since the program started, on any thread.
long heap_allocations_so_far();

}  // namespace gradflow::testing
