#pragma once
// A SUNDIALS serial N_Vector whose operations are Eigen's.
//
// Debian's libsundials is built without optimisation (its N_Vector kernels
// spill every loop variable to the stack: ~20 instructions per element for a
// linear sum), and CVODE spends most of a small problem's time in them:
// 27% of a BDF run in N_VLinearSum alone at dim 210. The vector below keeps
// the serial vector's storage, so N_VGetArrayPointer and every SUNDIALS
// module work unchanged, and replaces the arithmetic in its operation table
// with vectorised Eigen expressions compiled with the project's flags. Clones
// (CVODE's work vectors, GMRES's Krylov basis) copy the table, so they are
// fast too. Semantics follow the SUNDIALS 6 N_Vector documentation, op by op.

#include <sundials/sundials_context.h>
#include <sundials/sundials_nvector.h>

namespace gradflow::detail {

// Destroy with N_VDestroy.
N_Vector make_fast_serial_vector(sunindextype length, SUNContext context);

}  // namespace gradflow::detail
