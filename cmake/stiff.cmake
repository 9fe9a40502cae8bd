# Stiff flows: CVODE BDF and the automatic explicit-to-implicit switch (issue 6).
gradflow_add_test(test_stiff)
# bdf's global error against a tight dopri5 reference on stiff linear networks.
gradflow_add_test(test_bdf_accuracy)
