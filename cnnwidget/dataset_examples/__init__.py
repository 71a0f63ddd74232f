"""Dataset examples: the user's own images that excite each unit most, with receptive-field crops.

    import cnnwidget
    index = cnnwidget.dataset_examples("resnet50", "photos/", ["layer3", "layer4"], k=9, out="ex-r50")
    index.top("layer4", 7)[0].crop          # the strongest example's crop (PIL)
    index.stats("layer4", 7)                # mean, max, share firing, histogram of maxima
    print(index.report)                     # images read, skipped with reasons, time

Modules, one idea each: :mod:`.decode` (one file, or why it is skipped), :mod:`.sources`
(numbered items), :mod:`.prepare` (input tensors and their geometry), :mod:`.loader`
(decoding workers), :mod:`.scan` (the model side), :mod:`.partial` (exact mergeable top-k
and statistics), :mod:`.plan` (shards and batches), :mod:`.settings`, :mod:`.store`
(SQLite + crops), :mod:`.local` and :mod:`.ray_executor` (where the scan runs),
:mod:`.crops` (boxes and crops of the winners), :mod:`.index` (reading), :mod:`.api`.
The ``cnnwidget examples`` command lives in :mod:`cnnwidget.cli.examples`; the explorer's
panel in :mod:`cnnwidget.widget.examples`.
"""

from .api import dataset_examples
from .index import Example, ExampleIndex, Report
from .sources import ExamplesError

__all__ = ["Example", "ExampleIndex", "ExamplesError", "Report", "dataset_examples"]
