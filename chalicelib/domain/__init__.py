"""The domain: pure Python, no AWS. Orders, their lifecycle, deadlines and routing."""
