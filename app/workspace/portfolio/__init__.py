"""The coordinators' portfolio dashboard over every challenge: its figures (``service.py``) and pages
(``views.py``)."""
