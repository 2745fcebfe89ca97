"""The surfaces' names as the page and the scene links show them: constants only, so that the home page's scene
links need neither pandas nor torch (issue 10: a server's first visitor on the home page waits for no import)."""

SURFACE_LABELS = {
    "ill_conditioned": "Ill-conditioned bowl",
    "rosenbrock": "Rosenbrock's banana valley",
    "himmelblau": "Himmelblau (four minima)",
    "saddle": "Saddle",
}
