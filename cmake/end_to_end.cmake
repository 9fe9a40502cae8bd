# End-to-end flow of deep linear networks (issue 3).
target_sources(gradflow_models PRIVATE ${PROJECT_SOURCE_DIR}/models/end_to_end_flow.cpp)
gradflow_add_test(test_end_to_end_flow)
gradflow_add_test(test_examples)
if(GRADFLOW_BUILD_BENCH)
  add_executable(bench_end_to_end ${PROJECT_SOURCE_DIR}/bench/end_to_end/bench_end_to_end.cpp)
  target_link_libraries(bench_end_to_end PRIVATE gradflow_app)
  gradflow_warnings(bench_end_to_end)
endif()
