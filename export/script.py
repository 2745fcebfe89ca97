"""A scene as a short, self-contained PyTorch script: the page's data, loss, start, runs and stopping rule.

Written the way a tutorial's next chapter would: tensors with requires_grad=True, loss.backward(), plain descent
written out under torch.no_grad(), torch.optim for the other optimizers, and for minibatches a seeded
torch.Generator shuffle per epoch drawn exactly as gd_core draws it (torch.rand(n).argsort()), so the printed
numbers equal the page's. Anything that came from a visitor (file and column names, the link) enters the script
only as a Python string literal (repr), and a typed loss only as code re-emitted from its parsed tree.
"""

from __future__ import annotations

from textwrap import dedent, indent

import gd_core as gd
from export.scene import CsvLine, SceneSpec, SeedLoss, Surface, SyntheticLine, TypedLoss
from export.torch_expression import torch_source

# gd_core's test surfaces (gd_core/problems.py TEST_FUNCTIONS), written with the same operations so the numbers match.
SURFACE_SOURCE = {
    "ill_conditioned": "0.5 * (x * x + 25 * y * y)",
    "rosenbrock": "(1 - x) ** 2 + 100 * (y - x * x) ** 2",
    "himmelblau": "(x * x + y - 11) ** 2 + (x + y * y - 7) ** 2",
    "saddle": "x * x - y * y",
}


def _torch_optim_source(optimizer: gd.Optimizer) -> str:
    """The record's torch.optim constructor as code, with the app's hyper-parameters (gd_core/optimizers.py)."""
    options = "".join(f", {name}={value!r}" for name, value in optimizer.hyper.items())
    return f"torch.optim.{optimizer.torch_class.__name__}(params, lr=lr{options})"


OPTIMIZER_SOURCE = {o.id: _torch_optim_source(o) for o in gd.optimizers.REGISTRY if o.torch_class is not None}


def scene_script(spec: SceneSpec) -> str:
    """The whole script: `python scene.py` prints the trajectory as CSV, one row per step from step 0."""
    return "\n\n\n".join(section for section in script_sections(spec) if section) + "\n"


def script_sections(spec: SceneSpec) -> list[str]:
    """The script in parts (header, data, loss, runs, descent, main): the notebook puts each in its own cell."""
    return [_header(spec), _data(spec), _loss(spec), _runs(spec), _descent(spec), MAIN]


MAIN = dedent(
    """\
    if __name__ == "__main__":
        print(",".join(COLUMNS))
        for row in trajectory():
            print(*row, sep=",")"""
)


def _literal(text: str) -> str:
    """A Python string literal for any text (repr, in double quotes where it can be): never code, whatever it holds."""
    literal = repr(str(text))
    return f'"{literal[1:-1]}"' if literal.startswith("'") and '"' not in text else literal


def _header(spec: SceneSpec) -> str:
    imports = ["import math"] + (["import csv"] if _reads_file(spec) else [])
    imports += [""] + (["import numpy as np"] if isinstance(spec.problem, SyntheticLine) else []) + ["import torch"]
    lines = [
        f'"""Descent {spec.version} · {spec.title}: this scene as a plain PyTorch script.',
        "",
        "Run it with `python scene.py > trajectory.csv`: one CSV row per step, step 0 being the start, with the",
        f"app's column names ({', '.join(spec.columns)}). A run stops at its first non-finite or exploding",
        "step, as on the page. LINK reopens this scene in the app.",
        '"""',
        "",
        *sorted(imports[: imports.index("")]),
        "",
        *imports[imports.index("") + 1 :],
        "",
        f"LINK = {_literal(spec.link)}",
        f"VERSION = {_literal(spec.version)}",
        "torch.set_default_dtype(torch.float64)  # the app computes in float64",
    ]
    return "\n".join(lines)


def _reads_file(spec: SceneSpec) -> bool:
    return isinstance(spec.problem, CsvLine) and spec.problem.rows is None


def _data(spec: SceneSpec) -> str:
    problem = spec.problem
    if isinstance(problem, SyntheticLine):
        p = problem
        text = dedent(
            f"""\
            # The data: gd_core.synthetic(n={p.n}, slope={p.slope!r}, intercept={p.intercept!r}, noise={p.noise!r},
            # outliers={p.outliers}, seed={p.seed}): y = slope·x + intercept + N(0, noise²), x uniform in [−3, 3].
            N, SLOPE, INTERCEPT, NOISE, OUTLIERS, DATA_SEED = {p.n}, {p.slope!r}, {p.intercept!r}, {p.noise!r}, \
{p.outliers}, {p.seed}
            rng = np.random.default_rng(DATA_SEED)
            x_values = rng.uniform(-3.0, 3.0, N)
            y_values = SLOPE * x_values + INTERCEPT + rng.normal(0.0, NOISE, N)
            """
        )
        if p.outliers:
            text += dedent(
                """\
                outlier = rng.choice(N, size=OUTLIERS, replace=False)  # these points get a large vertical offset
                offset = 5.0 * max(NOISE, 1.0) + abs(SLOPE) * 6.0
                sign = rng.choice([-1.0, 1.0], size=OUTLIERS)
                y_values[outlier] += sign * offset * rng.uniform(1.0, 2.0, OUTLIERS)
                """
            )
        return text + "x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)"
    if isinstance(problem, CsvLine):
        names = "FILE_NAME, X_COLUMN, Y_COLUMN = " + ", ".join(
            map(_literal, (problem.file_name, problem.x_column, problem.y_column))
        )
        if problem.rows is None:
            return dedent(
                f"""\
                # The data: two columns of the uploaded CSV file, read from the file next to this script.
                {names}
                with open(FILE_NAME, newline="", encoding="utf-8-sig") as file:
                    table = list(csv.DictReader(file, skipinitialspace=True))
                x = torch.tensor([float(row[X_COLUMN]) for row in table])
                y = torch.tensor([float(row[Y_COLUMN]) for row in table])"""
            )
        points = "\n".join(f"    ({a!r}, {b!r})," for a, b in problem.rows)
        return (
            f"# The data: the (x, y) points of two columns of the uploaded CSV file.\n{names}\n"
            f"POINTS = [\n{points}\n]\n"
            "x = torch.tensor([point[0] for point in POINTS])\n"
            "y = torch.tensor([point[1] for point in POINTS])"
        )
    return ""


def _loss(spec: SceneSpec) -> str:
    match spec.problem:
        case SeedLoss():
            return dedent(
                '''\
                X, Y = -3.0, 3.0  # the tutorial's one data point


                def loss_fn(A):
                    """Loss(A) = (Y − A·X)² = (3 + 3A)²: the squared error of the model y = A·x at the point."""
                    return (Y - A * X) ** 2'''
            )
        case TypedLoss(text=text):
            return dedent(
                f'''\
                def loss_fn(a):
                    """The loss typed on the page, {text.strip()!r}, with torch operations."""
                    return {torch_source(text, "a")}'''
            )
        case Surface(name=name):
            return dedent(
                f'''\
                def loss_fn(x, y):
                    """The {name} surface: f(x, y) = {SURFACE_SOURCE[name]}."""
                    return {SURFACE_SOURCE[name]}'''
            )
    return dedent(
        '''\
        def loss_fn(w, b, x, y):
            """MSE(w, b) = mean((w·x + b − y)²): the mean squared error of the line y ≈ w·x + b."""
            return ((w * x + b - y) ** 2).mean()'''
    )


def _runs(spec: SceneSpec) -> str:
    runs = "\n".join(f"    ({_literal(r.optimizer)}, {r.lr!r}, {r.batch_size!r}, {r.seed!r})," for r in spec.runs)
    text = (
        f"START = {spec.start!r}  # {', '.join(spec.param_names)} at step 0\n"
        f"STEPS = {spec.steps!r}\n"
        f"RUNS = [  # (optimizer, learning rate, batch size or None for the full batch, shuffle seed)\n{runs}\n]\n"
        f"COLUMNS = ({', '.join(map(_literal, spec.columns))})\n"
        "EXPLODE_FACTOR = 1e10  # a loss this many times its start (or 1) counts as diverged\n"
        "EXPLODE_PARAM = 1e150  # parameters beyond this would overflow float64 once squared"
    )
    used = [name for name in OPTIMIZER_SOURCE if any(r.optimizer == name for r in spec.runs)]
    if used:
        branches = "\n".join(
            f"    if name == {_literal(name)}:\n        return {OPTIMIZER_SOURCE[name]}" for name in used
        )
        text += (
            "\n\n\ndef make_optimizer(name, params, lr):\n"
            '    """torch.optim with the app\'s settings; None for plain descent (written out below)."""\n'
            f"{branches}\n    return None"
        )
    return text


def _descent(spec: SceneSpec) -> str:
    names = spec.param_names
    is_line = isinstance(spec.problem, SyntheticLine | CsvLine)
    minibatch = any(r.batch_size is not None for r in spec.runs)
    torch_optim = any(r.optimizer != "gd" for r in spec.runs)
    args = ", ".join(names) + (", x, y" if is_line else "")
    make = "\n".join(f"{name} = torch.tensor(START[{i}], requires_grad=True)" for i, name in enumerate(names))
    losses = "loss"
    if minibatch:
        losses = "loss, batch_loss"
        evaluate = dedent(
            f"""\
            if batch_size is None:
                loss = batch_loss = loss_fn({args})
            else:
                if step % per_epoch == 0:  # a new epoch: a fresh shuffle of the points
                    order = torch.rand(n, generator=generator, dtype=torch.float64).argsort()
                first = (step % per_epoch) * batch_size
                batch = order[first : first + batch_size]  # the last batch of an epoch may be smaller
                with torch.no_grad():
                    loss = loss_fn({", ".join(names)}, x, y)  # the loss on all the data: what the page plots
                batch_loss = loss_fn({", ".join(names)}, x[batch], y[batch])  # the loss this step descends
            for p in params:
                p.grad = None
            batch_loss.backward()"""
        )
        schedule = dedent(
            """\
            n = x.numel()
            if batch_size is not None and batch_size >= n:
                batch_size = None  # a batch as large as the data is the full batch
            if batch_size is not None:
                generator = torch.Generator().manual_seed(seed)
                per_epoch = math.ceil(n / batch_size)  # iterations per epoch (the last batch keeps the remainder)
            """
        )
    else:
        evaluate = f"loss = loss_fn({args})\nfor p in params:\n    p.grad = None\nloss.backward()"
        schedule = ""
    plain = "with torch.no_grad():  # plain gradient descent: θ ← θ − lr·∇f(θ)\n    for p in params:\n"
    plain += "        p -= lr * p.grad"
    update = f"if optimizer is None:\n{indent(plain, '    ')}\nelse:\n    optimizer.step()" if torch_optim else plain
    body = "\n".join(
        part
        for part in [
            make,
            f"params = [{', '.join(names)}]",
            "optimizer = make_optimizer(optimizer_name, params, lr)" if torch_optim else "",
            schedule + "for step in range(STEPS + 1):",
            indent(evaluate, "    "),
            "    if step == 0:",
            "        limit = EXPLODE_FACTOR * max(abs(loss.item()), 1.0)",
            f"    if diverged(params, [{losses}], limit):",
            "        return",
            f"    yield step, {', '.join(f'{name}.item()' for name in names)}, loss.item()",
            "    if step == STEPS:",
            "        return",
            indent(update, "    "),
        ]
        if part
    )
    collect = "rows.append((run, optimizer_name, lr, *step_row))" if spec.several_runs else "rows.append(step_row)"
    loop = "for optimizer_name, lr, batch_size, seed in RUNS:"
    if spec.several_runs:
        loop = "for run, (optimizer_name, lr, batch_size, seed) in enumerate(RUNS):"
    return (
        dedent(
            '''\
            def diverged(params, losses, limit):
                """True at a non-finite or exploding step: the page's runs stop there too."""
                values = [p.item() for p in params] + [p.grad.item() for p in params] + [v.item() for v in losses]
                if not all(math.isfinite(v) for v in values):
                    return True
                return any(abs(v.item()) > limit for v in losses) or any(abs(p.item()) > EXPLODE_PARAM for p in params)


            def descend(optimizer_name, lr, batch_size, seed):
                """Yield (step, parameters…, loss) for every step from 0 until STEPS or divergence."""
            '''
        )
        + indent(body, "    ")
        + "\n\n\n"
        + dedent(
            f'''\
            def trajectory():
                """Every row of every run, in the order of COLUMNS."""
                rows = []
                {loop}
                    for step_row in descend(optimizer_name, lr, batch_size, seed):
                        {collect}
                return rows'''
        )
    )
