"""Suqiu's benchmark (``make bench``): AWS calls per operation, latency, import time. See bench/run.py."""
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
