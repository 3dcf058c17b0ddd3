"""The staff workspace: the coordinators' and administrators' pages about a challenge, under ``/manage``.

The top of the layer order: its use cases span challenges, proposals and questions, so they live here and
import those domains, never the other way round. One sub-package per part, each with the same file names.
"""
