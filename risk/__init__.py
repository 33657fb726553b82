"""Risk: hazard zones, the five- and four-colour maps and the city health check.

Built on ``inventory``; the risk engine arrives with its own issue.
"""
