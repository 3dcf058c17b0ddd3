"""The public statistics at ``/statistics``: aggregated portfolio figures of challenges whose deadline has
passed, with small cells withheld (``service.py``), and their pages and CSVs (``views.py``)."""
