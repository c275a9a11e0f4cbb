"""The port office's statistics (口岸通关统计): overall clearance time (整体通关时间) and its
stages over time, volumes by port and agency, the channels chosen, inspection rates by credit
grade against the policy, facility use, and the dossiers that are late.

``measures`` holds the pure arithmetic (what a clearance time and its stages are, what counts as
late), ``filters`` the port and period every figure is filtered by, ``queries`` the stored data
read once for them and the list of figures, ``figure`` a figure's table, ``times``, ``volumes``
and ``late`` the figures themselves, ``export`` their CSV, ``api`` the HTTP API (the port office
only).
"""
