# Where gradient descent leaves gradient flow (issue 6).
gradflow_add_test(test_modified_flow)
