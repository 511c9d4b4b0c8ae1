"""Bench code that runs inside Django, in a process of its own.

A bench starts these modules as child processes (`python -m bench.in_django.…`)
with the environment it measures (DATABASE_URL, DEBUG=0, …). Importing this
package sets Django up, once and here, so the modules in it import the
project's models and services at their top like any other module.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()
