"""Write examples/quickstart.ipynb (run once after editing the cells below)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell(
        "# cnnwidget quickstart\n\n"
        "See what a convolutional network sees. Pick a layer, hover and click units, "
        "and watch a clicked unit's favourite picture being optimized live.\n\n"
        "The demo uses torchvision's pretrained GoogLeNet/ResNet when its weights are on this machine, "
        "and otherwise cnnwidget's own offline model, trained on procedurally generated pictures."
    ),
    new_code_cell(
        "import cnnwidget\n"
        "from cnnwidget.models import pick_demo_model\n\n"
        "model, spec, notice = pick_demo_model()\n"
        "print(notice or f'Using pretrained {spec}')"
    ),
    new_code_cell("ex = cnnwidget.CNNExplorer(model)\nex"),
    new_markdown_cell(
        "Click a unit in the grid: its maximization starts at once and streams into the panel. "
        "The same actions work from code:"
    ),
    new_code_cell(
        "job = ex.maximize((ex.layer, 0), steps=64, size=128)\n"
        "job.wait()\n"
        "print(ex.maximize_state['status'])\n"
        "ex.maximized"
    ),
    new_markdown_cell("## Headless API\n\nEverything the widget shows is one function call away."),
    new_code_cell("[(l.name, l.shape) for l in cnnwidget.layers(model)][:8]"),
    new_code_cell(
        "photo = cnnwidget.samples()['chelsea']\n"
        "acts = cnnwidget.activations(model, photo, ex.layer)\n"
        "acts.shape, float(acts.max())"
    ),
    new_code_cell(
        "from IPython.display import display\n\n"
        "gallery = cnnwidget.maximize(model, [f'{ex.layer}:{c}' for c in range(4)], steps=64, size=96, seed=0, progress=False)\n"
        "display(*gallery)"
    ),
    new_code_cell(
        "cnnwidget.deepdream(model, cnnwidget.sample('chelsea').resize((256, 256)), layers=ex.layer, "
        "octaves=2, steps=5, seed=0, progress=False)"
    ),
]


def main() -> None:
    nb = new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    out = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"
    nbformat.write(nb, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
