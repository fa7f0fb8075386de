"""Architecture embeddings: one shared vector space per search space.

Embedders (scikit-learn transformers over architectures) and
:func:`embed_space`, which embeds a whole finite space once and caches it.
Defaults of node2vec and arch2vec (``random_state=0``) ship precomputed for
NB201 and TransNAS micro.  Importing this package does not import torch.
"""

from .arch2vec import Arch2VecEmbedder
from .base import Embedder, as_architectures, embed_space
from .cache import cache_dir, cache_key
from .encodings import OneHotEncoder, PathEncoder
from .node2vec import Node2VecEmbedder

__all__ = ["Arch2VecEmbedder", "Embedder", "Node2VecEmbedder", "OneHotEncoder", "PathEncoder",
           "as_architectures", "cache_dir", "cache_key", "embed_space"]
