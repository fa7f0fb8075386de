"""2-D maps of the embeddings of a whole search space (UMAP or PCA).

:func:`project` embeds every architecture of a finite space (node2vec, arch2vec, one-hot
or path encoding, :mod:`ktnas_core.embedding`) and projects the vectors to 2-D, cached on
disk by every parameter (and the embedding's own cache key).  The default UMAP maps of
node2vec and arch2vec ship in ``ktnas_core/projection_data`` and load in milliseconds,
without importing umap.  :class:`ProjectionJob` computes a projection in a separate,
cancellable process; its result lands in the same cache.  Coordinates are stored as
float16 (like the embeddings) and returned as read-only float32 arrays, so a fresh
computation and a cached one give identical values.

Examples
--------
>>> from ktnas_core.projection import load_default, project
>>> xy = load_default("tnb101_micro")              # shipped UMAP of node2vec
>>> xy.shape, xy.dtype, xy.flags.writeable
((4096, 2), dtype('float32'), False)
>>> project("tnb101_micro", "node2vec") is not None  # same parameters: the shipped file
True
>>> project("nb201", method="tsne")
Traceback (most recent call last):
...
ktnas_core.errors.ParameterError: method 'tsne' is unknown; choose one of ['umap', 'pca']
"""

from .jobs import ProjectionJob
from .maps import (DATA_DIR, DEFAULTS, EMBEDDINGS, METHODS, METRICS, PROJECTION_VERSION, SHIPPED, is_cached,
                   load_default, project, projection_key)

__all__ = ["DEFAULTS", "EMBEDDINGS", "METHODS", "METRICS", "SHIPPED", "ProjectionJob", "is_cached",
           "load_default", "project", "projection_key"]
