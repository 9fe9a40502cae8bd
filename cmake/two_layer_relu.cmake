# Wide two-layer ReLU networks and their kernel flow.
# Sources: target_sources(gradflow_models PRIVATE ...), and for the CLI factory
# target_sources(gradflow_app PRIVATE ...). Tests: gradflow_add_test(test_name).
# The Filippov selection both the model and relu_windows decide with.
target_sources(gradflow_core PRIVATE ${PROJECT_SOURCE_DIR}/src/core/relu_filippov_rule.cpp)
target_sources(gradflow_models PRIVATE
  ${PROJECT_SOURCE_DIR}/models/two_layer_relu/field.cpp
  ${PROJECT_SOURCE_DIR}/models/two_layer_relu/kernels.cpp
  ${PROJECT_SOURCE_DIR}/models/two_layer_relu/modes.cpp
  ${PROJECT_SOURCE_DIR}/models/two_layer_relu/filippov.cpp
  ${PROJECT_SOURCE_DIR}/models/kernel_flow.cpp)
target_sources(gradflow_app PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/factory_two_layer_relu.cpp)
# relu_windows: the flow of wide networks (thousands of switches per unit time).
target_sources(gradflow_integrators PRIVATE
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/problem.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/residual_path.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/kernel_share.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/neuron_runner.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/neuron_roots.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/neuron_filippov.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/window_screening.cpp
  ${PROJECT_SOURCE_DIR}/integrators/relu_windows/window_integrator.cpp)
foreach(name IN ITEMS
    test_two_layer_relu
    test_two_layer_relu_flow
    test_two_layer_relu_cli
    test_two_layer_relu_surfaces
    test_two_layer_relu_events
    test_kernel_flow
    test_event_driven
    test_relu_windows)
  gradflow_add_test(${name})
endforeach()
if(GRADFLOW_BUILD_BENCH)
  # bench/relu/run.sh runs it next to the numpy and PyTorch versions of the step.
  add_executable(bench_relu_step ${PROJECT_SOURCE_DIR}/bench/relu/bench_relu_step.cpp)
  target_link_libraries(bench_relu_step PRIVATE gradflow_app)
  gradflow_warnings(bench_relu_step)
endif()
# Counts heap allocations by interposing malloc: its own executable only.
gradflow_add_test(test_two_layer_relu_allocation ${PROJECT_SOURCE_DIR}/tests/allocation_counter.cpp)
gradflow_add_test(test_relu_windows_allocation ${PROJECT_SOURCE_DIR}/tests/allocation_counter.cpp)
