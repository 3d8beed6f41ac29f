"""Zoom: the platform's account and agencies' own connections, meeting writes within
Zoom's limits, and its event notifications (participants, recordings)."""
