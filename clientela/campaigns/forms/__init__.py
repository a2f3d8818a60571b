"""Campaigns' web forms: the segment builder (``segments``) and the campaign pages
(``campaigns``)."""
