# Functions every component's CMakeLists.txt uses: warnings, the numerics that
# keep results bitwise reproducible, and one Catch2 executable per test file.

function(gradflow_warnings target)
  # Options structs are filled with designated initialisers; unnamed members keep
  # their defaults on purpose, so -Wmissing-field-initializers is noise here.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion -Wno-missing-field-initializers)
endfunction()

# Reproducibility: no fused multiply-add contraction, so the same spec gives the
# same bits on machines with and without FMA.
function(gradflow_numerics target)
  target_compile_options(${target} PUBLIC -ffp-contract=off)
  # Eigen's matrix product packs blocks in a buffer on the stack up to this
  # size, on the heap above it; 512 KB keeps the products of a width-10 000
  # ReLU field (m x n times n x d) off the heap, so field evaluations allocate
  # nothing. PUBLIC: every translation unit must agree on it.
  target_compile_definitions(${target} PUBLIC EIGEN_STACK_ALLOCATION_LIMIT=524288)
endfunction()

# gradflow_add_test(NAME [SOURCES...]): tests/NAME.cpp (plus SOURCES) as its
# own Catch2 executable; ctest sees every TEST_CASE.
function(gradflow_add_test name)
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/${name}.cpp ${ARGN})
  target_link_libraries(${name} PRIVATE gradflow_app Catch2::Catch2WithMain)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  gradflow_warnings(${name})
  # --warn NoTests: a filter that matches nothing fails instead of passing.
  catch_discover_tests(${name} EXTRA_ARGS --warn NoTests
    PROPERTIES ENVIRONMENT "GRADFLOW_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
