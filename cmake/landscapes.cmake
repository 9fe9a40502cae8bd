# Small landscapes, SGD and ensembles of runs (issue 6, items 5 and 6).
target_sources(gradflow_core PRIVATE
  ${PROJECT_SOURCE_DIR}/src/core/sgd_options.cpp
  ${PROJECT_SOURCE_DIR}/src/core/ensemble_stats.cpp
  ${PROJECT_SOURCE_DIR}/src/core/outcome_label.cpp)
target_sources(gradflow_models PRIVATE
  ${PROJECT_SOURCE_DIR}/models/least_squares.cpp
  ${PROJECT_SOURCE_DIR}/models/wide_sharp_1d.cpp)
target_sources(gradflow_integrators PRIVATE
  ${PROJECT_SOURCE_DIR}/integrators/stochastic_gradient_descent.cpp)
target_sources(gradflow_io PRIVATE ${PROJECT_SOURCE_DIR}/src/io/spec_sgd.cpp)
target_sources(gradflow_app PRIVATE
  ${PROJECT_SOURCE_DIR}/src/cli/vector_init.cpp
  ${PROJECT_SOURCE_DIR}/src/cli/factory_least_squares.cpp
  ${PROJECT_SOURCE_DIR}/src/cli/factory_wide_sharp_1d.cpp
  ${PROJECT_SOURCE_DIR}/src/cli/run_plan.cpp
  ${PROJECT_SOURCE_DIR}/src/cli/ensemble.cpp)

foreach(name IN ITEMS
    test_landscape_models
    test_sgd
    test_ensemble_stats
    test_ensemble
    test_landscapes_cli)
  gradflow_add_test(${name})
endforeach()
# Counts heap allocations by interposing malloc: its own executable only.
gradflow_add_test(test_sgd_allocation ${PROJECT_SOURCE_DIR}/tests/allocation_counter.cpp)
