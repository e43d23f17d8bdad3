"""Writes of the analytics app, by concept: key epochs (``keys``), metric uploads
(``uploads``), deletion and purges (``deletion``), and keeping rollups equal to the sums of
their metrics (``rollups``, ``rebuild``)."""
