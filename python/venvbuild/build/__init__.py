"""Making a build: the stages (validate, install, inspect, package, metadata) and publishing the result.

stages.py runs one stage over a work folder (workdir.py); all_stages.py runs them all and publishes.
"""
