"""Take a scene anywhere: a page's run as a PyTorch script, a notebook, or an offline web page (no streamlit)."""
