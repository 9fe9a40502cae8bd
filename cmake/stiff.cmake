# Stiff flows: CVODE BDF and the automatic explicit-to-implicit switch (issue 6).
gradflow_add_test(test_stiff)
