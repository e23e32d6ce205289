"""Plotting helpers for the book's figures, drawn with matplotlib.

These functions only draw: every number they show is computed by the caller,
with the course's own code (the reference implementation in the book, yours
in your notebooks). Each returns the matplotlib ``Figure`` it made.

The colours and sizes are fixed here so that every chapter looks alike, and
nothing random or time-dependent happens inside, so a figure drawn twice from
the same numbers is the same figure.
"""

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

#: One colour per curve, in order (matplotlib's default cycle, colour-blind safe enough).
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
#: ``show_images``: the width of one image's cell, in inches, and its title's font size.
IMAGE_WIDTH_INCHES, IMAGE_TITLE_POINTS = 1.25, 11


def _style(ax, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None):
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)


def plot_activations(
    functions: Mapping[str, tuple[Callable, Callable]],
    z: Sequence[float] | None = None,
) -> Figure:
    """Each activation g (top row) above its derivative g' (bottom row).

    ``functions`` maps a name such as ``"sigmoid"`` to the pair ``(g, g_prime)``.
    """
    z = np.linspace(-5, 5, 401) if z is None else np.asarray(z, dtype=float)
    n = len(functions)
    fig, axes = plt.subplots(2, n, figsize=(3.4 * n, 5.2), sharex=True, squeeze=False)
    for k, (name, (g, g_prime)) in enumerate(functions.items()):
        top, bottom = axes[0, k], axes[1, k]
        top.plot(z, g(z), color=COLORS[k], lw=2)
        bottom.plot(z, g_prime(z), color=COLORS[k], lw=2, ls="--")
        _style(top, title=f"{name}: $g(z)$")
        _style(bottom, title=f"{name}: $g'(z)$", xlabel="$z$")
        for ax in (top, bottom):
            ax.axhline(0, color="black", lw=0.6)
            ax.axvline(0, color="black", lw=0.6)
    fig.tight_layout()
    return fig


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    title: str = "",
    levels: Sequence[float] = (0.5,),
) -> Figure:
    """Points of two classes and the output a of a neuron over the plane.

    ``x`` holds one 2-d example per column (2, m), ``y`` the labels 0/1 (m,)
    or (1, m). ``predict`` maps such a (2, k) array to the activations (1, k);
    the line where a equals each of ``levels`` is drawn in black.
    """
    y = np.asarray(y).ravel()
    pad = 0.5
    x0 = np.linspace(x[0].min() - pad, x[0].max() + pad, 200)
    x1 = np.linspace(x[1].min() - pad, x[1].max() + pad, 200)
    grid0, grid1 = np.meshgrid(x0, x1)
    a = predict(np.vstack([grid0.ravel(), grid1.ravel()])).reshape(grid0.shape)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    shade = ax.contourf(grid0, grid1, a, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    fig.colorbar(shade, ax=ax, label="activation $a$")
    ax.contour(grid0, grid1, a, levels=list(levels), colors="black", linewidths=2)
    for label, marker, color in ((0, "o", COLORS[0]), (1, "^", COLORS[3])):
        keep = y == label
        ax.scatter(x[0, keep], x[1, keep], marker=marker, color=color, label=f"$y = {label}$")
    ax.legend(loc="upper left")
    _style(ax, title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.grid(False)
    fig.tight_layout()
    return fig


def draw_network(sizes: Sequence[int], title: str = "", max_drawn: int = 10) -> Figure:
    """A diagram of a fully connected network from its layer sizes [n_1, ..., n_L].

    Layer 1 is drawn as the input layer, the last as the output layer, the
    others as hidden layers. A layer with more than ``max_drawn`` neurons is
    drawn with ``max_drawn`` of them and a "⋮" standing for the rest.
    """
    sizes = [int(n) for n in sizes]
    n_layers = len(sizes)
    drawn = [min(n, max_drawn) for n in sizes]
    tallest = max(drawn)
    spacing = 2.4  # horizontal distance between layers, in neuron spacings
    width, height = spacing * (n_layers - 1) + 2.4, tallest + 2.4
    fig, ax = plt.subplots(figsize=(0.75 * width, 0.75 * height))
    positions = []
    for column, shown in enumerate(drawn):
        ys = np.linspace(-(shown - 1) / 2, (shown - 1) / 2, shown) if shown > 1 else np.zeros(1)
        positions.append([(spacing * column, float(y)) for y in ys[::-1]])
    for column in range(1, n_layers):
        for x0, y0 in positions[column - 1]:
            for x1, y1 in positions[column]:
                ax.plot([x0, x1], [y0, y1], color="gray", lw=0.6, alpha=0.6, zorder=1)
    top = tallest / 2 + 0.5
    for column, layer in enumerate(positions):
        if column == 0:
            color, name = COLORS[2], "input layer"
        elif column == n_layers - 1:
            color, name = COLORS[3], "output layer"
        else:
            color, name = COLORS[0], "hidden layer"
        for x0, y0 in layer:
            ax.add_patch(plt.Circle((x0, y0), 0.22, facecolor=color, edgecolor="black", zorder=2))
        x = spacing * column
        if sizes[column] > drawn[column]:
            bottom = min(y for _, y in layer) - 0.6
            ax.text(x, bottom, "⋮", ha="center", va="center", fontsize=14)
        ax.text(x, top + 0.6, f"layer {column + 1}", ha="center", fontsize=11, weight="bold")
        label = f"{name}\n$n_{{{column + 1}}} = {sizes[column]}$"
        ax.text(x, top + 0.4, label, ha="center", va="top", fontsize=10)
    ax.set_xlim(-1.2, spacing * (n_layers - 1) + 1.2)
    ax.set_ylim(-tallest / 2 - 1.0, top + 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


#: The nodes of ``draw_layer_graph``: key → ((x, y), label, colour).
_LAYER_NODES = {
    "a_prev": ((0.0, 0.0), r"$a^{[l-1]}$", COLORS[2]),
    "w": ((2.4, 1.6), r"$w^{[l]}$", COLORS[4]),
    "b": ((2.4, -1.6), r"$b^{[l]}$", COLORS[4]),
    "z": ((4.2, 0.0), r"$z^{[l]} = w^{[l]} a^{[l-1]} + b^{[l]}$", COLORS[0]),
    "a": ((7.3, 0.0), r"$a^{[l]} = \sigma(z^{[l]})$", COLORS[0]),
    "loss": ((10.0, 0.0), r"$\mathcal{L}$", COLORS[3]),
}
#: Its forward edges (values), then its backward ones (derivatives of 𝓛) with their bends.
_LAYER_FORWARD = (("a_prev", "z"), ("w", "z"), ("b", "z"), ("z", "a"), ("a", "loss"))
_LAYER_BACKWARD = (
    ("loss", "a", 0.45),
    ("a", "z", 0.45),
    ("z", "w", 0.35),
    ("z", "b", -0.35),
    ("z", "a_prev", 0.45),
)
#: Where each backward edge's equation is written, and the equation.
_LAYER_EQUATIONS = (
    ((8.65, 1.05), "BP1 at the output: $\\nabla_a \\mathcal{L}$\nelse from layer $l{+}1$"),
    (
        (5.75, 1.15),
        "BP1/BP2: $\\delta^{[l]} = \\partial \\mathcal{L} / \\partial a^{[l]}"
        " \\odot \\sigma'(z^{[l]})$",
    ),
    (
        (4.15, 1.95),
        "BP4: $\\partial \\mathcal{L} / \\partial w^{[l]} = \\delta^{[l]} (a^{[l-1]})^T$",
    ),
    ((4.0, -1.8), "BP3: $\\partial \\mathcal{L} / \\partial b^{[l]} = \\delta^{[l]}$"),
    ((0.55, 1.15), "$(w^{[l]})^T \\delta^{[l]}$:\non to BP2 of layer $l{-}1$"),
)


def draw_layer_graph() -> Figure:
    """The computational graph of one layer l, forward (black) and backward (red).

    Forward: a^[l-1], w^[l] and b^[l] make z^[l] = w^[l] a^[l-1] + b^[l], then
    a^[l] = σ(z^[l]), which the rest of the network turns into the loss 𝓛.
    Backward, each red edge carries a derivative of 𝓛 and is labelled with the
    equation that computes it: BP1 or BP2 for δ^[l], BP3 and BP4 for the
    gradients, and (w^[l])^T δ^[l] on its way to BP2 of layer l-1.
    """
    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    _draw_layer_nodes(ax)
    back = COLORS[3]
    for start, end in _LAYER_FORWARD:
        _draw_layer_edge(ax, start, end, "black")
    for start, end, rad in _LAYER_BACKWARD:
        _draw_layer_edge(ax, start, end, back, rad=rad, dashed=True)
    _write_layer_equations(ax, back)
    ax.plot([], [], color="black", label="forward: values")
    ax.plot([], [], color=back, linestyle="--", label="backward: derivatives of $\\mathcal{L}$")
    ax.legend(loc="lower right", fontsize=10, frameon=False)
    ax.set_xlim(-0.8, 10.6)
    ax.set_ylim(-2.5, 2.4)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _draw_layer_nodes(ax) -> None:
    """Each node of the layer's graph as its label in a box of its colour."""
    for (x, y), label, color in _LAYER_NODES.values():
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=12,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": "white",
                "edgecolor": color,
                "linewidth": 2,
            },
        )


def _draw_layer_edge(ax, start: str, end: str, color: str, rad=0.0, dashed=False) -> None:
    """An arrow from node ``start`` to node ``end``, bent by ``rad``, dashed for backward."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            _LAYER_NODES[start][0],
            _LAYER_NODES[end][0],
            arrowstyle="-|>",
            mutation_scale=16,
            connectionstyle=f"arc3,rad={rad}",
            color=color,
            lw=1.6,
            zorder=2,
            linestyle="--" if dashed else "-",
            shrinkA=30,
            shrinkB=30,
        )
    )


def _write_layer_equations(ax, color: str) -> None:
    """Beside each backward edge, the equation (BP1–BP4) that computes what it carries."""
    for (x, y), text in _LAYER_EQUATIONS:
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=10,
            color=color,
            zorder=4,
            bbox={
                "boxstyle": "round,pad=0.2",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.9,
            },
        )


def plot_loss_surface(
    loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
    trajectories: Mapping[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    title: str = "",
) -> Figure:
    """Contours of a loss of two parameters, with gradient descent paths on it.

    ``loss(t1, t2)`` evaluates the loss on grids; each trajectory is an array
    of shape (steps + 1, 2), the parameters (θ_1, θ_2) after each step.
    """
    t1, t2 = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    values = loss(t1, t2)
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    levels = np.quantile(values, np.linspace(0.0, 0.95, 16) ** 2)
    ax.contour(t1, t2, values, levels=np.unique(levels), cmap="viridis", linewidths=0.9)
    for k, (label, path) in enumerate(trajectories.items()):
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], "-o", color=COLORS[k], ms=3, lw=1.4, label=label)
    start = np.asarray(next(iter(trajectories.values())))[0]
    ax.plot(*start, "k*", ms=12, label="start")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.legend(loc="lower right", fontsize=9)
    _style(ax, title=title, xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    fig.tight_layout()
    return fig


def plot_curves(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    xlabel: str,
    ylabel: str,
    title: str = "",
    logy: bool = False,
    logx: bool = False,
    marker: str = "",
) -> Figure:
    """Several curves on one set of axes: ``curves`` maps a label to (x, y)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for k, (label, (xs, ys)) in enumerate(curves.items()):
        ax.plot(xs, ys, color=COLORS[k % len(COLORS)], lw=1.6, marker=marker, label=label)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.legend()
    _style(ax, title=title, xlabel=xlabel, ylabel=ylabel)
    fig.tight_layout()
    return fig


def plot_delta_per_layer(norms: Mapping[str, Sequence[float]], title: str = "") -> Figure:
    """The size of the error δ^[l] in each layer l = 2, ..., L, one bar group per layer.

    ``norms`` maps a label (an activation, say) to the mean |δ^[l]_j| of each
    layer, layer 2 first. The y axis is logarithmic: vanishing gradients show
    as bars that shrink by a constant factor per layer.
    """
    labels = list(norms)
    n_layers = len(next(iter(norms.values())))
    width = 0.8 / len(labels)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    layers = np.arange(n_layers)
    for k, label in enumerate(labels):
        ax.bar(layers + k * width, norms[label], width=width, color=COLORS[k], label=label)
    ax.set_xticks(layers + width * (len(labels) - 1) / 2)
    ax.set_xticklabels([f"$l = {k + 2}$" for k in layers])
    ax.set_yscale("log")
    ax.legend()
    _style(ax, title=title, xlabel="layer", ylabel=r"mean $|\delta^{[l]}_j|$")
    fig.tight_layout()
    return fig


def plot_learning_curves(history: Sequence[Mapping], title: str = "") -> Figure:
    """Training cost and test accuracy per epoch, from the records ``Network.sgd`` returns."""
    epochs = [record["epoch"] for record in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.6))
    left.plot(epochs, [record["cost"] for record in history], "-o", color=COLORS[0], ms=3)
    _style(left, title="training cost", xlabel="epoch", ylabel=r"$\mathcal{L}$")
    accuracies = [record["accuracy"] for record in history]
    if all(a is not None for a in accuracies):
        right.plot(epochs, accuracies, "-o", color=COLORS[2], ms=3)
        right.set_ylim(0, 1)
    _style(right, title="test accuracy", xlabel="epoch", ylabel="fraction correct")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(
    images: np.ndarray, titles: Sequence[str], columns: int = 6, shape: tuple[int, int] = (8, 8)
) -> Figure:
    """Small grey images in a grid, each with a title of up to two short lines.

    ``images`` holds one image per row, either flattened (k, 64) or (k, 8, 8).
    Six columns keep the titles readable at the page's width, and on a phone.
    """
    images = np.asarray(images, dtype=float).reshape(-1, *shape)
    count = len(images)
    rows = max(1, -(-count // columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(IMAGE_WIDTH_INCHES * columns, 1.6 * rows), squeeze=False
    )
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles):
        ax.imshow(image, cmap="gray_r", interpolation="nearest")
        ax.set_title(title, fontsize=IMAGE_TITLE_POINTS)
    fig.tight_layout()
    return fig


def plot_gradcheck_errors(
    hs: Sequence[float], errors: Mapping[str, Sequence[float]], title: str = ""
) -> Figure:
    """Relative error of a finite difference against the step h, on log-log axes.

    ``errors`` maps a label (a dtype, a formula) to the error for each h. The
    V shape: on the right, truncation error falls like h²; on the left,
    rounding error grows like ε/h.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for k, (label, values) in enumerate(errors.items()):
        values = np.maximum(np.asarray(values, dtype=float), 1e-17)
        ax.loglog(hs, values, "-o", color=COLORS[k], ms=3, label=label)
    ax.legend()
    _style(ax, title=title, xlabel="step $h$", ylabel="relative error")
    fig.tight_layout()
    return fig


def numbered_figure(fig: Figure, name: str, alt: str, caption: str):
    """``fig`` as the book's numbered figure ``name``, with an alt text and caption computed.

    A figure drawn by a cell takes its alt text and caption from the cell's
    metadata, which is typed by hand; a number in them would not follow the
    figure when the code changes. This glues ``fig`` under ``name`` and returns
    the MyST Markdown of a ``glue:figure`` directive holding ``alt`` and
    ``caption``, which the book renders as the cell's output (its
    ``nb_render_markdown_format`` is ``myst``); ``{numref}`` finds it by ``name``.
    """
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)  # shown once, by the directive
    alt = " ".join(alt.split())
    caption = " ".join(caption.split())
    return Markdown(f"::::{{glue:figure}} {name}\n:alt: {alt}\n:name: {name}\n\n{caption}\n::::\n")


def graph_nodes(root) -> list:
    """Every value ``root`` depends on through ``parents``, each once, in the order found.

    Reads only the public attributes of chapter 07's ``Value``, so it counts
    and draws yours as well as the reference's.
    """
    found, todo = {id(root): root}, [root]
    while todo:
        for parent in todo.pop().parents:
            if id(parent) not in found:
                found[id(parent)] = parent
                todo.append(parent)
    return list(found.values())


def graph_columns(nodes: Sequence) -> dict[int, int]:
    """``{id(value): column}``: 0 for a leaf, else one more than its parents' largest.

    Found by raising the columns until nothing changes (as many passes as the
    graph is deep: meant for drawing small graphs).
    """
    column = {id(node): 0 for node in nodes}
    changed = True
    while changed:
        changed = False
        for node in nodes:
            wanted = 1 + max((column[id(p)] for p in node.parents), default=-1)
            if wanted != column[id(node)]:
                column[id(node)], changed = wanted, True
    return column


def draw_value_graph(root, names: Mapping[int, str] | None = None, title: str = "") -> Figure:
    """The computational graph of chapter 07's ``root``, with each value's data and grad.

    Each node is a box showing its name (``names`` maps ``id(value)`` to one;
    otherwise its ``op``, or its number for an unnamed leaf), its ``data``
    and, in red, its ``grad`` (∂𝓛/∂value after ``root.backward()``). Columns
    go from the inputs (left) to ``root`` (right): a value one column right
    of its rightmost parent, a leaf just left of the first value made from
    it. Arrows run from each parent to the values made from it.
    """
    names = dict(names or {})
    nodes = graph_nodes(root)
    column = graph_columns(nodes)
    _place_leaves_beside_first_use(nodes, column)
    by_column = _by_column(nodes, column)
    row = _graph_rows(by_column)
    width, height = len(by_column), max(len(m) for m in by_column)
    dx, dy = 1.7, 1.25
    fig, ax = plt.subplots(figsize=(1.5 * width + 0.3, 1.15 * height + 0.9))
    position = {id(node): (dx * column[id(node)], -dy * row[id(node)]) for node in nodes}
    _draw_value_arrows(ax, nodes, position)
    for node in nodes:
        _draw_value_box(ax, node, position[id(node)], _value_name(node, names), root)
    ax.plot([], [], " ", label="black: data (forward)")
    ax.plot([], [], " ", label="red: grad = ∂L/∂value (backward)")
    ax.legend(loc="upper left", fontsize=10, frameon=False, handlelength=0)
    ax.set_xlim(-0.8, dx * (width - 1) + 0.8)
    ax.set_ylim(-dy * (height - 1) / 2 - 0.8, dy * (height - 1) / 2 + 1.0)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _place_leaves_beside_first_use(nodes: Sequence, column: dict[int, int]) -> None:
    """Move each used leaf (a bias, a target, a constant) to just left of its first user."""
    users: dict[int, list] = {}
    for node in nodes:
        for parent in node.parents:
            users.setdefault(id(parent), []).append(node)
    for node in nodes:
        if not node.parents and id(node) in users:
            column[id(node)] = min(column[id(u)] for u in users[id(node)]) - 1


def _by_column(nodes: Sequence, column: dict[int, int]) -> list[list]:
    """The nodes of each column, left to right, each column in the order the nodes were found."""
    by_column: list[list] = [[] for _ in range(max(column.values()) + 1)]
    for node in nodes:
        by_column[column[id(node)]].append(node)
    return by_column


def _graph_rows(by_column: list[list]) -> dict[int, float]:
    """``{id(value): row}``, centred on 0 in each column.

    Each value sits near the mean row of its parents, the leaves of a column after
    them. Reorders each column's list to match (the columns are ranked left to right).
    """
    row: dict[int, float] = {}
    for members in by_column:
        made = [n for n in members if n.parents]
        made.sort(key=lambda n: float(np.mean([row[id(p)] for p in n.parents])))
        members[:] = made + [n for n in members if not n.parents]
        for i, node in enumerate(members):
            row[id(node)] = i - (len(members) - 1) / 2
    return row


def _draw_value_arrows(ax, nodes: Sequence, position: dict[int, tuple[float, float]]) -> None:
    """A grey arrow from each parent to each value made from it (once for a repeated parent)."""
    from matplotlib.patches import FancyArrowPatch

    for node in nodes:
        for parent in {id(p): p for p in node.parents}.values():
            ax.add_patch(
                FancyArrowPatch(
                    position[id(parent)],
                    position[id(node)],
                    arrowstyle="-|>",
                    mutation_scale=12,
                    color="gray",
                    lw=1.0,
                    shrinkA=22,
                    shrinkB=22,
                    zorder=1,
                )
            )


def _value_name(node, names: Mapping[int, str]) -> str:
    """The name ``names`` gives ``node``, else its ``op``, else (a leaf) its number."""
    if id(node) in names:
        return names[id(node)]
    if node.parents:
        return node.op
    return f"{node.data:g}"


def _draw_value_box(ax, node, at: tuple[float, float], name: str, root) -> None:
    """``node``'s box at ``at``: its name, its data below, and its grad in red below that.

    The box is red for ``root``, blue for a value made by an operation, green for a leaf.
    """
    x, y = at
    color = COLORS[3] if node is root else COLORS[0] if node.parents else COLORS[2]
    box = {"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": color, "lw": 2}
    ax.text(x, y + 0.2, name, ha="center", va="center", fontsize=13, zorder=3, bbox=box)
    ax.text(x, y - 0.22, f"{node.data:.4g}", ha="center", va="center", fontsize=11, zorder=3)
    ax.text(
        x,
        y - 0.47,
        f"{node.grad:.4g}",
        ha="center",
        va="center",
        fontsize=11,
        color=COLORS[3],
        zorder=3,
    )
