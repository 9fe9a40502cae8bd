# Symmetric factorisation W = UUᵀ: sensing and completion (issue 5).
target_sources(gradflow_models PRIVATE
  ${PROJECT_SOURCE_DIR}/models/psd_ground_truth.cpp
  ${PROJECT_SOURCE_DIR}/models/matrix_sensing.cpp
  ${PROJECT_SOURCE_DIR}/models/matrix_completion.cpp
  ${PROJECT_SOURCE_DIR}/models/symmetric_factorisation_metrics.cpp
  ${PROJECT_SOURCE_DIR}/models/symmetric_factorisation.cpp
  ${PROJECT_SOURCE_DIR}/models/symmetric_factorisation_deep.cpp
  ${PROJECT_SOURCE_DIR}/models/induced_w_flow.cpp
)
target_sources(gradflow_app PRIVATE
  ${PROJECT_SOURCE_DIR}/src/cli/factory_factorisation.cpp
)

foreach(name IN ITEMS
    test_matrix_sensing
    test_matrix_completion
    test_factorisation
    test_factorisation_flow
    test_factorisation_cli
)
  gradflow_add_test(${name})
endforeach()

if(GRADFLOW_BUILD_BENCH)
  # Release numbers only. The allocation counter interposes malloc (see
  # tests/allocation_counter.hpp), so it is compiled into this executable alone.
  add_executable(bench_factorisation
    ${PROJECT_SOURCE_DIR}/bench/factorisation/bench_factorisation.cpp
    ${PROJECT_SOURCE_DIR}/tests/allocation_counter.cpp
  )
  target_include_directories(bench_factorisation PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(bench_factorisation PRIVATE gradflow_app)
  target_compile_definitions(bench_factorisation PRIVATE GRADFLOW_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gradflow_warnings(bench_factorisation)
endif()
# Counts heap allocations by interposing malloc: its own executable only.
gradflow_add_test(test_factorisation_allocation ${PROJECT_SOURCE_DIR}/tests/allocation_counter.cpp)
