# SUNDIALS CVODE (Debian's libsundials-dev) as the imported target SUNDIALS::cvode.
# Debian's SUNDIALSConfig.cmake lists targets for every solver and binding
# (MPI, PETSc, Fortran...) whose files the -dev package may not all carry, so
# the two libraries CVODE needs are found directly. Since SUNDIALS 6.0 the
# solver library carries the serial N_Vector, dense matrix and the dense and
# SPGMR linear solvers it uses.
find_path(SUNDIALS_INCLUDE_DIR cvode/cvode.h REQUIRED)
find_library(SUNDIALS_CVODE_LIBRARY sundials_cvode REQUIRED)
find_library(SUNDIALS_NVECSERIAL_LIBRARY sundials_nvecserial REQUIRED)
if(NOT TARGET SUNDIALS::cvode)
  add_library(SUNDIALS::cvode INTERFACE IMPORTED)
  set_target_properties(SUNDIALS::cvode PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${SUNDIALS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${SUNDIALS_CVODE_LIBRARY};${SUNDIALS_NVECSERIAL_LIBRARY}")
endif()
