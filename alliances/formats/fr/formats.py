"""French formats that differ from Django's (``FORMAT_MODULE_PATH``): times without seconds.

Django reads a format here first and falls back on its own ``django/conf/locale/fr/formats.py``
for the others. The first input format is also the one the admin's date-time widget writes
(« 09:00 », not « 09:00:00 »); the others are still accepted.
"""

TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S.%f", "%d/%m/%Y"]
