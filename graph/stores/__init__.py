"""Stage 3, the stores: where the graph lives when it is queried, behind one small interface
(:class:`graph.stores.base.Store`). Oxigraph evaluates every query on the memory and Oxigraph
stores; :mod:`graph.stores.spec` opens a store by kind, :mod:`graph.stores.querying` is the
one call that queries any source.
"""
