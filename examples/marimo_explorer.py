"""CNNExplorer in marimo: `marimo edit examples/marimo_explorer.py` (or `marimo run` for the app view)."""

import marimo

__generated_with = "0.25.2"

app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo
    import torch
    import torchvision

    import cnnwidget

    torch.manual_seed(0)  # random weights; pass torchvision.models.ResNet18_Weights.DEFAULT for trained ones
    explorer = cnnwidget.CNNExplorer(torchvision.models.resnet18())
    view = mo.ui.anywidget(explorer)
    view
    return explorer, mo, view


@app.cell
def _(explorer, mo):
    mo.md(f"Selected unit: **{explorer.selected or 'none yet: click a tile'}** · layer `{explorer.layer}`")
    return


if __name__ == "__main__":
    app.run()
