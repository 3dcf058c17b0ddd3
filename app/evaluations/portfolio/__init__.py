"""Portfolio figures over every challenge: the filters (``filters.py``), the figure as plain data with the
small-cell rule (``figures.py``), one query per figure (``queries.py``), the SVG bar chart (``charts.py``) and
the CSV of a figure (``exports.py``). Shared by the coordinators' dashboard (``app.workspace.portfolio``) and
the public statistics (``app.public.statistics``), which are siblings and may not import each other."""
