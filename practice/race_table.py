"""The race question's answers, precomputed: written by `python -m practice.gen_race`, do not edit.

Per (surface, start index): the start, and per optimizer (tuned lr, first step below the target or None).
tests/test_practice.py checks every entry against the live sweeps of practice.gen_race._race_runs.
"""

KEY = (
    1e-06,
    (0.001, 0.003, 0.01, 0.03, 0.1, 0.3),
    (("himmelblau", 200), ("ill_conditioned", 200), ("rosenbrock", 400)),
    8,
    ("gd", "momentum", "nesterov", "rmsprop", "adam"),
)
RACES = {
    ("ill_conditioned", 0): (
        (2.0, -0.5),
        {"gd": (0.03, None), "momentum": (0.01, 94), "nesterov": (0.01, 61), "rmsprop": (0.3, 8), "adam": (0.3, 111)},
    ),
    ("ill_conditioned", 1): (
        (-4.0, -1.5),
        {"gd": (0.03, None), "momentum": (0.03, 138), "nesterov": (0.03, 67), "rmsprop": (0.3, 11), "adam": (0.3, 132)},
    ),
    ("ill_conditioned", 2): (
        (2.5, -2.0),
        {"gd": (0.03, None), "momentum": (0.01, 94), "nesterov": (0.03, 67), "rmsprop": (0.3, 9), "adam": (0.1, 130)},
    ),
    ("ill_conditioned", 3): (
        (-1.0, -0.5),
        {"gd": (0.03, None), "momentum": (0.01, 94), "nesterov": (0.03, 48), "rmsprop": (0.3, 8), "adam": (0.3, 101)},
    ),
    ("ill_conditioned", 4): (
        (-2.5, 0.5),
        {"gd": (0.03, None), "momentum": (0.01, 94), "nesterov": (0.03, 67), "rmsprop": (0.3, 7), "adam": (0.3, 126)},
    ),
    ("ill_conditioned", 5): (
        (1.5, -1.0),
        {"gd": (0.03, None), "momentum": (0.01, 94), "nesterov": (0.03, 48), "rmsprop": (0.1, 7), "adam": (0.3, 123)},
    ),
    ("ill_conditioned", 6): (
        (4.5, -1.0),
        {"gd": (0.03, None), "momentum": (0.01, 130), "nesterov": (0.03, 67), "rmsprop": (0.3, 9), "adam": (0.3, 143)},
    ),
    ("ill_conditioned", 7): (
        (1.0, -1.0),
        {"gd": (0.03, None), "momentum": (0.01, 94), "nesterov": (0.03, 48), "rmsprop": (0.1, 1), "adam": (0.1, 82)},
    ),
    ("himmelblau", 0): (
        (-5.0, -1.5),
        {"gd": (0.01, 11), "momentum": (0.001, 133), "nesterov": (0.003, 46), "rmsprop": (0.3, 10), "adam": (0.3, 162)},
    ),
    ("himmelblau", 1): (
        (0.0, -0.5),
        {"gd": (0.01, 42), "momentum": (0.003, 154), "nesterov": (0.01, 35), "rmsprop": (0.1, 13), "adam": (0.3, 154)},
    ),
    ("himmelblau", 2): (
        (-2.0, 2.0),
        {"gd": (0.01, 10), "momentum": (0.01, 150), "nesterov": (0.01, 15), "rmsprop": (0.3, 14), "adam": (0.3, 141)},
    ),
    ("himmelblau", 3): (
        (-3.0, -4.0),
        {"gd": (0.01, 8), "momentum": (0.003, 136), "nesterov": (0.003, 41), "rmsprop": (0.1, 10), "adam": (0.3, 131)},
    ),
    ("himmelblau", 4): (
        (-4.5, -1.5),
        {"gd": (0.01, 10), "momentum": (0.003, 113), "nesterov": (0.003, 38), "rmsprop": (0.1, 11), "adam": (0.1, 150)},
    ),
    ("himmelblau", 5): (
        (3.0, 4.5),
        {"gd": (0.01, 25), "momentum": (0.001, 156), "nesterov": (0.01, 34), "rmsprop": (0.1, 73), "adam": (0.3, 148)},
    ),
    ("himmelblau", 6): (
        (-4.0, 4.5),
        {"gd": (0.01, 8), "momentum": (0.01, 147), "nesterov": (0.01, 38), "rmsprop": (0.3, 10), "adam": (0.3, 145)},
    ),
    ("himmelblau", 7): (
        (1.5, -1.5),
        {
            "gd": (0.01, 26),
            "momentum": (0.003, 123),
            "nesterov": (0.01, 20),
            "rmsprop": (0.03, None),
            "adam": (0.1, 131),
        },
    ),
    ("rosenbrock", 0): (
        (0.0, 0.0),
        {
            "gd": (0.003, None),
            "momentum": (0.003, 396),
            "nesterov": (0.001, None),
            "rmsprop": (0.003, None),
            "adam": (0.03, 365),
        },
    ),
    ("rosenbrock", 1): (
        (1.5, 0.5),
        {
            "gd": (0.001, None),
            "momentum": (0.001, None),
            "nesterov": (0.001, None),
            "rmsprop": (0.03, None),
            "adam": (0.03, None),
        },
    ),
    ("rosenbrock", 2): (
        (1.0, 1.5),
        {
            "gd": (0.001, None),
            "momentum": (0.001, None),
            "nesterov": (0.001, None),
            "rmsprop": (0.1, None),
            "adam": (0.3, None),
        },
    ),
    ("rosenbrock", 3): (
        (-1.0, -1.0),
        {
            "gd": (0.001, None),
            "momentum": (0.01, None),
            "nesterov": (0.3, None),
            "rmsprop": (0.3, None),
            "adam": (0.3, None),
        },
    ),
    ("rosenbrock", 4): (
        (-1.5, 2.0),
        {
            "gd": (0.001, None),
            "momentum": (0.001, None),
            "nesterov": (0.001, None),
            "rmsprop": (0.1, None),
            "adam": (0.3, None),
        },
    ),
    ("rosenbrock", 5): (
        (0.5, 2.5),
        {
            "gd": (0.001, None),
            "momentum": (0.001, None),
            "nesterov": (0.001, None),
            "rmsprop": (0.3, None),
            "adam": (0.3, None),
        },
    ),
    ("rosenbrock", 6): (
        (0.5, -0.5),
        {
            "gd": (0.003, None),
            "momentum": (0.001, None),
            "nesterov": (0.001, None),
            "rmsprop": (0.03, None),
            "adam": (0.3, None),
        },
    ),
    ("rosenbrock", 7): (
        (1.5, 1.5),
        {
            "gd": (0.001, None),
            "momentum": (0.001, None),
            "nesterov": (0.001, None),
            "rmsprop": (0.03, None),
            "adam": (0.3, None),
        },
    ),
}
