# Symmetric factorisation W = UUᵀ: sensing and completion (issue 5).
# Sources: target_sources(gradflow_models PRIVATE ...), and for the CLI factory
# target_sources(gradflow_app PRIVATE ...). Tests: gradflow_add_test(test_name).
