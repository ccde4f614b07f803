"""The command line, a thin door over the library: :mod:`graph.cli.main` parses the arguments
and imports only the subcommand it runs (one module each here); the options they share are
in :mod:`graph.cli.options`.
"""
