"""Stage 4, the pipeline: the loaded dataset validated (SHACL and the quality queries),
optionally inferred, counted and described (VoID), and the build that writes every output
into ``dist/`` atomically.
"""
