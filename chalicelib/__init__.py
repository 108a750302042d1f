"""Suqiu (诉求): residents' requests to their city, on AWS serverless."""
