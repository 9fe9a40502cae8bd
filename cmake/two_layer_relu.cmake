# Wide two-layer ReLU networks and their kernel flow (issue 4).
# Sources: target_sources(gradflow_models PRIVATE ...), and for the CLI factory
# target_sources(gradflow_app PRIVATE ...). Tests: gradflow_add_test(test_name).
