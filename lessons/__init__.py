"""The lesson registry: every lesson once, in the tutorial's order.

app.py builds the navigation from it, the home page its cards, and the hardening tests, the browser tests,
the screenshot tool and the load test their list of pages. A new lesson is a folder lessons/<folder>/ with a
page.py, plus one line in LESSONS.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    """One lesson: its URL path, how the menu and the home page name it, and the prefix of its URL keys."""

    slug: str  # the URL path (/one-weight) and, with "_" for "-", the folder under lessons/
    title: str
    icon: str
    blurb: str  # one sentence for the home page
    key: str  # URL-key prefix of the lesson's controls: ?one-weight.lr=0.05

    @property
    def folder(self) -> str:
        """The package under lessons/ that holds the lesson."""
        return self.slug.replace("-", "_")

    @property
    def page(self) -> str:
        """The page script, relative to the repository root (what st.Page and AppTest run)."""
        return f"lessons/{self.folder}/page.py"

    @property
    def url_path(self) -> str:
        """The path after the app's address ("" for the home page)."""
        return "" if self is HOME else self.slug

    def control(self, name: str) -> str:
        """The widget key (and URL key) of one of the lesson's controls: 'one-weight.lr'."""
        return f"{self.key}.{name}"


HOME = Lesson("home", "Home", "🏠", "What gradient descent is, the lessons, and scenes for a lecture.", "home")
LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "one-weight",
        "1 · One weight",
        "🎯",
        "The tutorial's example: Loss(A) = (3 + 3A)², its tangent, and the update table step by step.",
        "one-weight",
    ),
    Lesson(
        "fitting-a-line",
        "2 · Fitting a line",
        "📈",
        "Slope and bias at once: the line fits itself while (w, b) walks down the mean-squared-error surface.",
        "fitting-a-line",
    ),
    Lesson(
        "minibatches",
        "3 · Minibatches",
        "🎲",
        "Each step sees a random batch: cheaper steps, a noisier path.",
        "minibatches",
    ),
    Lesson(
        "learning-rate",
        "4 · Learning rate",
        "💥",
        "Crawl, converge, overshoot, explode: the threshold 2/λmax.",
        "learning-rate",
    ),
    Lesson(
        "optimizers",
        "5 · Optimizers",
        "🏎️",
        "Momentum, Nesterov, RMSProp and Adam race on 2-D surfaces.",
        "optimizers",
    ),
)
PAGES: tuple[Lesson, ...] = (HOME, *LESSONS)  # every page of the app, home first
DATA_KEY = "data"  # URL-key prefix of the data controls that fitting-a-line and minibatches share


def lesson(slug: str) -> Lesson:
    """The registered lesson with this slug."""
    for page in PAGES:
        if page.slug == slug:
            return page
    raise KeyError(f"no lesson {slug!r}; registered: {', '.join(p.slug for p in PAGES)}")
