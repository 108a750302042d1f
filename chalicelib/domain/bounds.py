"""The numbers a request is held to, declared once: the request models (chalicelib/commands/), the
domain's own checks and the city file's validation (chalicelib/city.py) all read them from here.

The resident's pages (web/index.html, web/assets/residents.js) are static files and repeat a few of
them as hints (the description's length, the stars); the API's answer is what decides.
"""
from __future__ import annotations

# A rating (满意度评价): 1 to 5 stars; 3 and more close the order, fewer send it back (不满意重办).
MIN_STARS, MAX_STARS = 1, 5
SATISFIED_FROM = 3

# The most working days one extension request (延期申请) may ask for, whatever the city file says:
# the city's own extensions.max_working_days may not exceed it.
EXTENSION_DAYS_MAX = 60

# The characters of a code: a category's, an area's, a unit's (and a tracking number given as one).
CODE_MAX = 64

# The most attachments one submission may carry, whatever the city file says: its own
# media.max_per_request may not exceed it.
MEDIA_MAX = 20

# The characters of a case's title in the public case library (典型案例库).
CASE_TITLE_MAX = 60

# How far back a request taken down by staff may say it was received (a letter read late): a year.
RECEIVED_WITHIN_DAYS = 366
