"""Suqiu's benchmark (``make bench``): AWS calls per operation, latency, import time. See bench/run.py."""
