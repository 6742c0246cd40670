"""Validity benchmarks on external expert-labelled data (``sparring bench ...``)."""
