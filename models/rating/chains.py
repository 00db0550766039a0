"""Selection chains: activities linked by ``selection`` edges, with the depth of each stage.

A chain is a connected component of the selection graph (stage 1 -> stage 2 -> final, possibly with
parallel stages). The depth of a stage is the length of the longest selection path leading to it, so
"the furthest stage reached" is the stage of greatest depth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from core.logs import get_logger
from footprint.columns import Columns as C
from footprint.enums import EdgeType

log = get_logger(__name__)

NO_CHAIN = -1


def selection_chains(edges: pd.DataFrame, activity_ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Chain id and stage depth of every activity in ``activity_ids`` (by position).

    Activities on no selection edge get chain ``-1`` and depth 0. Chain ids are numbered by the
    smallest activity position they contain, so they do not depend on the order of edge rows.
    """
    n = len(activity_ids)
    chain = np.full(n, NO_CHAIN, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    sel = edges[edges[C.EDGE_TYPE] == EdgeType.SELECTION.value]
    src = activity_ids.get_indexer(pd.Index(sel[C.FROM_ACTIVITY_ID].astype("object")))
    dst = activity_ids.get_indexer(pd.Index(sel[C.TO_ACTIVITY_ID].astype("object")))
    keep = (src >= 0) & (dst >= 0) & (src != dst)
    src, dst = src[keep], dst[keep]
    if len(src) == 0:
        return chain, depth
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    on_edge = np.zeros(n, dtype=bool)
    on_edge[src] = on_edge[dst] = True
    # renumber components by their smallest member so ids are canonical
    first_member = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first_member, labels, np.arange(n))
    _, canonical = np.unique(first_member[labels], return_inverse=True)
    chain[on_edge] = canonical[on_edge]
    # longest path by relaxation; a DAG settles within len(edges) rounds, a cycle never does
    for _ in range(len(src) + 1):
        new = depth.copy()
        np.maximum.at(new, dst, depth[src] + 1)
        if np.array_equal(new, depth):
            break
        depth = new
    else:
        log.error("selection edges contain a cycle; stage depths are unreliable", edges=len(src))
    chain[~on_edge] = NO_CHAIN
    return chain, depth
