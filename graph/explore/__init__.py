"""Stage 5, exploring: the graph as networkx (the one conversion), the interactive network
view, the analyses (paths, centrality, timeline) and finding an entity by name.
"""
