"""Indices and aggregation: how the standards turn measurements into judgements. Pure.

Implements HJ 633-2012 and HJ 633-2026 (AQI, ``aqi``), GB 3095-2012/-2026 with HJ 663 validity
and statistics (``aggregation``), GB 3838-2002 and the CWQI (``water``), GB 3096-2008
(``noise``) and HJ 75-2017 flue-gas rules with oxygen correction and emission amounts
(``cems``). Every function takes arrays or plain values and returns new ones; nothing here
touches the database, the network or the clock.
"""
