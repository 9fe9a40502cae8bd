"""Small specs (each runs in well under a second) for the figures the shipped
examples do not cover quickly: GD at the edge of stability, a
factorisation, and a width sweep of ReLU networks."""

EDGE = {  # data/central_flow.json's edge experiment, shortened to t = 6
    "name": "edge", "seed": 1,
    "data": {"kind": "sine", "samples": 100, "inputs": 10, "outputs": 1},
    "model": {"kind": "linear_network", "depth": 4, "width": 8},
    "init": {"kind": "gaussian", "std": 0.3},
    "t_end": 6, "record": {"sharpness": True},
    "runs": [{"name": "gd", "integrator": "euler", "eta": 0.2},
             {"name": "gf", "rtol": 1e-10, "atol": 1e-12}],
}

FACTORISATION = {
    "name": "fact", "seed": 1,
    "data": {"kind": "sensing", "size": 8, "rank": 2, "measurements": 40},
    "model": {"kind": "symmetric_factorisation", "top_singular_values": 3},
    "init": {"kind": "gaussian", "alpha": 0.1},
    "t_end": 5.0, "sample": {"kind": "grid", "spacing": 0.25},
    "runs": [{"name": "gf", "flow": "U", "rtol": 1e-9, "atol": 1e-12},
             {"name": "gd", "flow": "U", "integrator": "euler", "eta": 5e-3}],
}

WIDTHS = {
    "seed": 4,
    "data": {"kind": "sine", "samples": 12, "inputs": 4, "unit_norm_inputs": True},
    "model": {"kind": "two_layer_relu", "width": 50},
    "init": {"kind": "gaussian", "std": 1.0},
    "t_end": 1.0, "sample": {"kind": "grid", "spacing": 0.1},
    "runs": [{"name": "net_gf", "flow": "network", "integrator": "event_driven",
              "rtol": 1e-8, "atol": 1e-10},
             {"name": "kernel_gf", "flow": "kernel", "integrator": "exact"}],
    "compare": [["net_gf", "kernel_gf"]],
    "experiments": [{"name": "w50", "model": {"width": 50}},
                    {"name": "w200", "model": {"width": 200}},
                    {"name": "w800", "model": {"width": 800}}],
}
