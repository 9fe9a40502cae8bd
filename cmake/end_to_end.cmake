# End-to-end flow of deep linear networks (issue 3).
target_sources(gradflow_models PRIVATE ${PROJECT_SOURCE_DIR}/models/end_to_end_flow.cpp)
gradflow_add_test(test_end_to_end_flow)
gradflow_add_test(test_examples)
